"""Push to the mobile apps (issue 16, requirement 3): reminders reach each registered app
through Firebase Cloud Messaging's HTTP v1 API and APNs, tested against local servers that
speak each service's shape and check its credentials (tests/support/mobile_push_services.py):
real HTTP (HTTP/2 for APNs), real signatures, no mock of our code."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings

from patients.models import Device, Notification
from patients.notifications import mobile
from patients.notifications.devices import register_device
from patients.reminders.services import (
    deliver_due_reminders,
    nudge_batch,
    plan_reminders,
    send_reminder_mobile_pushes,
)
from tests import factories
from tests.support.mobile_push_services import FakeApns, FakeFcm, running

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)
ANDROID = "fcm-token-" + "a1B2_c3:D4-" * 8
IPHONE = "ab" * 32


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    with running(FakeFcm()) as service:
        yield service


@pytest.fixture
def apns() -> Iterator[FakeApns]:
    with running(FakeApns()) as service:
        yield service


@pytest.fixture
def configured(fcm: FakeFcm, apns: FakeApns) -> Iterator[None]:
    with override_settings(
        REHAB_FCM_CREDENTIALS=json.dumps(fcm.credentials()),
        REHAB_FCM_URL=fcm.origin,
        REHAB_APNS_KEY=apns.p8(),
        REHAB_APNS_KEY_ID=apns.key_id,
        REHAB_APNS_TEAM_ID=apns.team_id,
        REHAB_APNS_TOPIC=apns.topic,
        REHAB_APNS_URL=apns.origin,
    ):
        yield
    # Credentials are cached across batches (as in a worker); each test has its own.
    mobile._fcm_tokens.clear()
    mobile._apns_tokens.clear()


def _patient_with_apps(*tokens: tuple[str, str]) -> Any:
    person = factories.PatientFactory()
    factories.prescribe(person, started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    for platform, token in tokens:
        register_device(patient=person, platform=platform, token=token, now=AT_0805)
    return person


def _send() -> int:
    return send_reminder_mobile_pushes(token=uuid.uuid4(), now=AT_0805)


def test_a_due_reminder_reaches_each_app_signed_and_free_of_health_data(
    configured: None, fcm: FakeFcm, apns: FakeApns
) -> None:
    patient = _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))

    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.sent == delivered.mobile == 3
    assert _send() == 6  # 3 reminders × 2 apps

    notes = {f"/notifications/{n.pk}/": n for n in Notification.objects.filter(user=patient.user)}
    assert [r.token for r in fcm.accepted()] == [ANDROID] * 3
    for push in fcm.accepted():
        assert push.body["notification"]["title"] in {
            "Time for your exercises",
            "Time for your morning check-in",
            "A reminder from your programme",
        }
        assert push.body["data"]["url"] in notes
        assert push.body["android"] == {"ttl": "3600s", "priority": "high"}
    assert [r.token for r in apns.accepted()] == [IPHONE] * 3
    for push in apns.accepted():
        assert set(push.body) == {"aps", "url"}
        assert push.body["url"] in notes
        assert push.headers["apns-topic"] == "org.example.rehab"
        assert push.headers["apns-push-type"] == "alert"
        assert push.headers["apns-priority"] == "10"
    # One HTTP/2 connection carried the batch's APNs requests.
    assert apns.connections == 1
    # Nothing a lock screen should show: no name, condition, body text or dose.
    sent = json.dumps([r.body for r in fcm.received + apns.received])
    condition = patient.diagnoses.get().condition.name
    for private in (patient.user.first_name, patient.user.last_name, condition):
        assert private not in sent
    for note in notes.values():
        assert note.body not in sent
        note.refresh_from_db()
        assert note.mobile_pushed_at == AT_0805
    assert set(Device.objects.values_list("last_pushed_at", flat=True)) == {AT_0805}

    # Once: a second batch finds nothing owed.
    assert _send() == 0
    assert len(fcm.received) == len(apns.received) == 3

    # The nudge goes too, with the OAuth access token of the first batch (cached until it
    # expires, not fetched per batch).
    later = AT_0805 + timedelta(hours=2, minutes=1)
    assert nudge_batch(now=later) == 1
    assert send_reminder_mobile_pushes(token=uuid.uuid4(), now=later) == 2
    assert fcm.token_requests == 1
    assert fcm.received[-1].body["notification"] == {"title": "Still time for today's exercises"}


@pytest.mark.parametrize(
    ("platform", "answer"),
    [("fcm", "unregistered"), ("fcm", "bad"), ("apns", "unregistered"), ("apns", "bad")],
)
def test_a_token_the_service_calls_invalid_removes_that_device_only(
    configured: None, fcm: FakeFcm, apns: FakeApns, platform: str, answer: str
) -> None:
    old, other = (ANDROID, ANDROID + "x") if platform == "fcm" else (IPHONE, "cd" * 32)
    service = fcm if platform == "fcm" else apns
    service.answer(old, answer)
    _patient_with_apps((platform, old), (platform, other))

    deliver_due_reminders(now=AT_0805)
    assert _send() == 3  # every reminder reached the other device

    assert list(Device.objects.values_list("token", flat=True)) == [other]
    # Once found invalid, the device is left out of the rest of the batch (requests already
    # in flight aside), and nothing is owed.
    assert 1 <= [r.token for r in service.received].count(old) <= 3
    assert not Notification.objects.filter(mobile_wanted=True, mobile_pushed_at=None).exists()


def test_fcm_throttling_is_retried_after_retry_after_for_that_device_only(
    configured: None, fcm: FakeFcm, apns: FakeApns
) -> None:
    fcm.answer(ANDROID, "throttled", "ok")
    _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))
    deliver_due_reminders(now=AT_0805)

    assert _send() == 6
    throttled = [r for r in fcm.received if r.status == 429]
    assert len(throttled) == 1
    retried = [r for r in fcm.received if r.body == throttled[0].body and r.status == 200]
    assert len(retried) == 1
    assert retried[0].at - throttled[0].at >= 1.0  # Retry-After: 1, honoured
    assert len(fcm.accepted()) == 3  # each reminder once
    assert len(apns.received) == 3  # the other channel's device was not sent again


def test_apns_too_many_requests_is_retried_with_backoff(
    configured: None, fcm: FakeFcm, apns: FakeApns
) -> None:
    apns.answer(IPHONE, "throttled", "throttled", "ok")
    _patient_with_apps(("apns", IPHONE))
    deliver_due_reminders(now=AT_0805)

    assert _send() == 3
    assert [r.status for r in apns.received].count(429) == 2
    assert len(apns.accepted()) == 3


def test_a_service_still_throttling_is_given_up_after_the_attempts_or_a_too_long_wait(
    configured: None, fcm: FakeFcm, apns: FakeApns
) -> None:
    fcm.answer(ANDROID, "unavailable")
    apns.answer(IPHONE, "throttled")
    _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))
    deliver_due_reminders(now=AT_0805)

    fcm.retry_after = "120"  # longer than REHAB_MOBILE_PUSH_MAX_WAIT: not retried at all
    with override_settings(REHAB_MOBILE_PUSH_ATTEMPTS=2):
        started = time.monotonic()
        assert _send() == 0
        took = time.monotonic() - started
    assert len(fcm.received) == 3
    assert len(apns.received) == 3 + 3 * 2  # waited 1 s, then 2 s
    assert 3 <= took < 10
    # Settled: at most once per reminder, and the devices stay (throttling says nothing about
    # the token).
    assert not Notification.objects.filter(mobile_wanted=True, mobile_pushed_at=None).exists()
    assert Device.objects.count() == 2


def test_unconfigured_services_owe_nothing(fcm: FakeFcm, apns: FakeApns) -> None:
    _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))
    assert mobile.enabled_platforms() == set()
    assert deliver_due_reminders(now=AT_0805).mobile == 0
    assert _send() == 0
    assert fcm.received == apns.received == []


def test_one_configured_service_sends_to_its_platform_only(fcm: FakeFcm, apns: FakeApns) -> None:
    with override_settings(
        REHAB_FCM_CREDENTIALS=json.dumps(fcm.credentials()), REHAB_FCM_URL=fcm.origin
    ):
        _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))
        assert deliver_due_reminders(now=AT_0805).mobile == 3
        assert _send() == 3
    mobile._fcm_tokens.clear()
    assert len(fcm.accepted()) == 3
    assert apns.received == []


def test_a_patient_who_turned_mobile_push_off_gets_none(
    configured: None, fcm: FakeFcm, apns: FakeApns
) -> None:
    patient = _patient_with_apps(("fcm", ANDROID))
    patient.mobile_reminders = False
    patient.save()
    assert deliver_due_reminders(now=AT_0805).mobile == 0
    assert _send() == 0
    assert fcm.received == []


def test_the_credentials_can_be_files(tmp_path: Any, fcm: FakeFcm, apns: FakeApns) -> None:
    (tmp_path / "fcm.json").write_text(json.dumps(fcm.credentials()))
    (tmp_path / "AuthKey.p8").write_text(apns.p8())
    with override_settings(
        REHAB_FCM_CREDENTIALS_FILE=str(tmp_path / "fcm.json"),
        REHAB_FCM_URL=fcm.origin,
        REHAB_APNS_KEY_FILE=str(tmp_path / "AuthKey.p8"),
        REHAB_APNS_KEY_ID=apns.key_id,
        REHAB_APNS_TEAM_ID=apns.team_id,
        REHAB_APNS_TOPIC=apns.topic,
        REHAB_APNS_URL=apns.origin,
    ):
        _patient_with_apps(("fcm", ANDROID), ("apns", IPHONE))
        deliver_due_reminders(now=AT_0805)
        assert _send() == 6
    mobile._fcm_tokens.clear()
    mobile._apns_tokens.clear()


def test_many_apns_pushes_at_once_share_the_connection_without_a_protocol_error(
    configured: None, apns: FakeApns
) -> None:
    """The batch sends from several threads over APNs' one HTTP/2 connection. Streams must
    reach the server in the order of their ids (RFC 9113 §5.1.1; a server answers a lower id
    with a connection error): seen broken in CI, when two threads started requests at once."""
    from concurrent.futures import ThreadPoolExecutor

    tokens = [f"{i:064x}" for i in range(80)]
    with mobile.senders({Device.Platform.APNS}) as made, ThreadPoolExecutor(8) as pool:
        sender = made[Device.Platform.APNS]
        outcomes = list(pool.map(lambda t: sender.send(t, {"title": "T", "url": "/"}), tokens))
    assert [o.status for o in outcomes] == ["sent"] * len(tokens)
    assert sorted(r.token for r in apns.received) == sorted(tokens)
