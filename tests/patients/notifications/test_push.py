"""Web push (issue 16): reminders reach the browsers a patient turned push on in, encrypted to
each browser's key and signed with the clinic's VAPID key, once per device, carrying nothing
about the patient's health. Tested against bench/push_receiver.py, a push service on loopback
that checks the VAPID signature and decrypts the payload with the device's own private key:
real encryption, real HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from bench.push_receiver import PushReceiver, running_receiver
from patients.models import Notification, PushSubscription
from patients.notifications.push import new_private_key, public_key, subscribe
from patients.notifications.views import device_name
from patients.reminders.services import (
    deliver_due_reminders,
    nudge_batch,
    plan_reminders,
    send_reminder_emails,
    send_reminder_pushes,
)
from tests import factories

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)
KEY = new_private_key()


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    with (
        running_receiver() as receiver,
        override_settings(
            REHAB_VAPID_PRIVATE_KEY=KEY,
            REHAB_VAPID_SUBJECT="mailto:clinic@example.org",
            REHAB_PUSH_SERVICES=[receiver.origin],
        ),
    ):
        yield receiver


def _patient_with_reminders(**patient: Any) -> Any:
    person = factories.PatientFactory(**patient)
    factories.prescribe(person, started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    return person


def _subscribe(receiver: PushReceiver, user: Any, name: str, answer: int = 201) -> None:
    receiver.device(name, answer=answer)
    sub = receiver.subscription(name)
    subscribe(user=user, endpoint=sub["endpoint"], device=name, **sub["keys"])


def test_a_due_reminder_reaches_each_device_decrypted_signed_and_free_of_health_data(
    receiver: PushReceiver,
) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "phone")
    _subscribe(receiver, patient.user, "laptop")

    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.sent == 3
    assert delivered.pushes == 3
    assert send_reminder_pushes(token=uuid.uuid4(), now=AT_0805) == 6  # 3 × 2 devices

    notes = {str(n.pk): n for n in Notification.objects.filter(user=patient.user)}
    assert len(receiver.received) == 6
    for push in receiver.received:
        # Decrypted with the device's own key: the browser could read it.
        assert push.payload is not None
        assert set(push.payload) == {"title", "url"}
        note = notes[push.payload["url"].split("/")[2]]
        assert push.payload["url"] == f"/notifications/{note.pk}/"
        # Signed with the clinic's key, for this push service, with a contact.
        assert push.vapid is not None
        assert push.vapid["aud"] == receiver.origin
        assert push.vapid["sub"] == "mailto:clinic@example.org"
        assert push.vapid_key == public_key()
        assert push.ttl == "3600"
    titles = {push.payload["title"] for push in receiver.received if push.payload}
    assert titles == {
        "Time for your exercises",
        "Time for your morning check-in",
        "A reminder from your programme",
    }
    # Nothing a lock screen should show: no name, condition, body text or dose.
    sent = json.dumps([push.payload for push in receiver.received])
    diagnosis = patient.diagnoses.get()
    for private in (patient.user.first_name, patient.user.last_name, diagnosis.condition.name):
        assert private not in sent
    for note in notes.values():
        assert note.body not in sent
        note.refresh_from_db()
        assert note.pushed_at == AT_0805

    # Once: a second batch finds nothing owed.
    assert send_reminder_pushes(token=uuid.uuid4(), now=AT_0805) == 0
    assert len(receiver.received) == 6
    assert not Notification.objects.filter(push_wanted=True, pushed_at__isnull=True).exists()


def test_a_gone_device_is_removed_and_a_failing_one_blocks_neither_the_others_nor_email(
    receiver: PushReceiver,
) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "old-phone", answer=410)
    _subscribe(receiver, patient.user, "broken", answer=500)
    _subscribe(receiver, patient.user, "phone")

    delivered = deliver_due_reminders(now=AT_0805)
    accepted = send_reminder_pushes(token=uuid.uuid4(), now=AT_0805)

    assert accepted == 3  # only "phone" accepted; every reminder reached it
    assert sorted(PushSubscription.objects.values_list("device", flat=True)) == [
        "broken",
        "phone",
    ]
    # The gone device was left out once found gone (requests already in flight aside).
    assert 1 <= [r.device for r in receiver.received].count("old-phone") <= 3
    # Every copy is settled (at most once per channel); e-mail goes out regardless.
    assert not Notification.objects.filter(push_wanted=True, pushed_at__isnull=True).exists()
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == delivered.emails == 3
    assert len(mail.outbox) == 3


def test_a_push_service_that_cannot_be_reached_is_a_missed_push_not_an_error(
    receiver: PushReceiver,
) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "phone")
    PushSubscription.objects.update(endpoint=f"{receiver.origin.rsplit(':', 1)[0]}:9/push/x")
    deliver_due_reminders(now=AT_0805)
    assert send_reminder_pushes(token=uuid.uuid4(), now=AT_0805) == 0
    assert not Notification.objects.filter(push_wanted=True, pushed_at__isnull=True).exists()


def test_the_nudge_is_pushed_too(receiver: PushReceiver) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "phone")
    deliver_due_reminders(now=AT_0805)
    send_reminder_pushes(token=uuid.uuid4(), now=AT_0805)
    later = AT_0805 + timedelta(hours=2, minutes=1)
    assert nudge_batch(now=later) == 1
    assert send_reminder_pushes(token=uuid.uuid4(), now=later) == 1
    assert receiver.received[-1].payload == {
        "title": "Still time for today's exercises",
        "url": f"/notifications/{Notification.objects.get(kind='reminder:nudge').pk}/",
    }


def test_without_a_vapid_key_nothing_is_owed_and_the_page_offers_no_push(
    receiver: PushReceiver, client: Client
) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "phone")
    with override_settings(REHAB_VAPID_PRIVATE_KEY=""):
        assert deliver_due_reminders(now=AT_0805).pushes == 0
        assert send_reminder_pushes(token=uuid.uuid4(), now=AT_0805) == 0
        client.force_login(patient.user)
        page = client.get(reverse("preferences")).content.decode()
    assert 'id="push"' not in page
    assert receiver.received == []


def test_the_reminders_page_offers_push_and_lists_the_devices(
    receiver: PushReceiver, client: Client
) -> None:
    patient = _patient_with_reminders()
    _subscribe(receiver, patient.user, "Chrome on Android")
    client.force_login(patient.user)
    page = client.get(reverse("preferences")).content.decode()
    assert f'data-push-key="{public_key()}"' in page
    assert "Chrome on Android" in page
    assert "/static/js/push.js" in page


def test_a_browser_subscribes_through_the_page_and_removes_a_device(
    receiver: PushReceiver, client: Client
) -> None:
    patient = _patient_with_reminders()
    client.force_login(patient.user)
    receiver.device("phone")
    response = client.post(
        reverse("push_subscribe"),
        json.dumps(receiver.subscription("phone")),
        content_type="application/json",
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537"},
    )
    assert response.status_code == 201
    device = PushSubscription.objects.get(user=patient.user)
    assert device.device == "Chrome on Android"
    # The same browser again refreshes its row rather than adding one.
    client.post(
        reverse("push_subscribe"),
        json.dumps(receiver.subscription("phone")),
        content_type="application/json",
    )
    assert PushSubscription.objects.count() == 1

    # Someone else cannot remove it; its owner can.
    other = factories.PatientFactory()
    intruder = Client()
    intruder.force_login(other.user)
    intruder.post(reverse("push_unsubscribe", args=[device.pk]))
    assert PushSubscription.objects.count() == 1
    response = client.post(reverse("push_unsubscribe", args=[device.pk]), follow=True)
    assert "no more notifications" in response.content.decode()
    assert PushSubscription.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "https://internal.example.org/push/1"}, "endpoint"),  # not a push service
        ({"endpoint": "file:///etc/passwd"}, "endpoint"),
        ({"endpoint": 42}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "x"}}, "p256dh"),
        ({"keys": {"p256dh": None, "auth": None}}, "auth"),
    ],
)
def test_a_subscription_we_cannot_use_is_refused_by_field(
    receiver: PushReceiver, client: Client, change: dict[str, Any], field: str
) -> None:
    patient = factories.PatientFactory()
    client.force_login(patient.user)
    receiver.device("phone")
    body = {**receiver.subscription("phone"), **change}
    response = client.post(reverse("push_subscribe"), json.dumps(body), "application/json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not PushSubscription.objects.exists()


def test_bad_json_and_the_wrong_role_are_refused(receiver: PushReceiver, client: Client) -> None:
    patient = factories.PatientFactory()
    client.force_login(patient.user)
    response = client.post(reverse("push_subscribe"), "{not json", "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    therapist = factories.TherapistFactory()
    factories.sign_in(client, therapist.user)
    receiver.device("phone")
    body = json.dumps(receiver.subscription("phone"))
    assert client.post(reverse("push_subscribe"), body, "application/json").status_code == 404


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) AppleWebKit/605 Version/18.0 Safari/604",
            "Safari on iPhone",
        ),
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        ("", "Browser"),
    ],
)
def test_devices_get_names_a_patient_recognises(agent: str, name: str) -> None:
    assert device_name(agent) == name


def test_the_site_installs_as_a_web_app(client: Client) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["display"] == "standalone"
    assert body["start_url"] == "/"
    assert {icon["sizes"] for icon in body["icons"]} >= {"192x192", "512x512"}
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in worker.content
    page = client.get(reverse("login")).content.decode()
    assert 'rel="manifest"' in page
    assert 'rel="apple-touch-icon"' in page


def test_the_patients_export_lists_their_devices_without_the_push_secrets(
    receiver: PushReceiver,
) -> None:
    from patients.privacy.services import export_csv_zip, patient_export

    patient = factories.PatientFactory()
    _subscribe(receiver, patient.user, "Safari on iPhone")
    data = patient_export(patient, now=AT_0805)
    assert [d["device"] for d in data["push_devices"]] == ["Safari on iPhone"]
    device = receiver.devices["Safari on iPhone"]
    everything = json.dumps(data) + export_csv_zip(data).decode("latin-1")
    for secret in (receiver.endpoint("Safari on iPhone"), device.p256dh):
        assert secret not in everything
