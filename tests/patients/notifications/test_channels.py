"""Channels are the patient's choice (issue 16, requirement 4): in-app always; e-mail, web
push and mobile push as chosen, on the Reminders page and PATCH /me/. Each channel is its own
outbox: one that fails never holds up another, and none sends a reminder twice, whatever
fails and however often the batches run again. Real SMTP-free mail outbox, the local web-push
service (bench/push_receiver.py) and the local FCM server (tests/support/)."""

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
from patients.models import Notification
from patients.notifications import mobile
from patients.notifications.devices import register_device
from patients.notifications.push import new_private_key, subscribe
from patients.reminders.services import (
    Delivered,
    deliver_due_reminders,
    plan_reminders,
    send_reminder_emails,
    send_reminder_mobile_pushes,
    send_reminder_pushes,
)
from tests import factories
from tests.support.mobile_push_services import FakeFcm, running

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)
ANDROID = "fcm-token-" + "a1B2_c3:D4-" * 8


@pytest.fixture
def services() -> Iterator[tuple[PushReceiver, FakeFcm]]:
    with (
        running_receiver() as receiver,
        running(FakeFcm()) as fcm,
        override_settings(
            REHAB_VAPID_PRIVATE_KEY=new_private_key(),
            REHAB_VAPID_SUBJECT="mailto:clinic@example.org",
            REHAB_PUSH_SERVICES=[receiver.origin],
            REHAB_FCM_CREDENTIALS=json.dumps(fcm.credentials()),
            REHAB_FCM_URL=fcm.origin,
        ),
    ):
        yield receiver, fcm
    mobile._fcm_tokens.clear()


def _patient_on_every_channel(receiver: PushReceiver, **choices: bool) -> Any:
    patient = factories.PatientFactory(**choices)
    factories.prescribe(patient, started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    receiver.device("phone")
    sub = receiver.subscription("phone")
    subscribe(user=patient.user, endpoint=sub["endpoint"], device="phone", **sub["keys"])
    register_device(patient=patient, platform="fcm", token=ANDROID, now=AT_0805)
    return patient


def _every_outbox(now: datetime, delivered: Delivered) -> tuple[int, int, int]:
    """Each channel's batch, the failing one first: (mobile, e-mail, web push) sent."""
    return (
        send_reminder_mobile_pushes(token=uuid.uuid4(), now=now),
        send_reminder_emails(now=now, held=delivered.email_batch),
        send_reminder_pushes(token=uuid.uuid4(), now=now),
    )


def test_fcm_failing_holds_up_neither_email_nor_web_push_and_a_replay_resends_nothing(
    services: tuple[PushReceiver, FakeFcm],
) -> None:
    receiver, fcm = services
    patient = _patient_on_every_channel(receiver)
    fcm.answer(ANDROID, "throttled")  # every time: FCM is over quota all morning

    delivered = deliver_due_reminders(now=AT_0805)
    assert (delivered.sent, delivered.emails, delivered.pushes, delivered.mobile) == (3, 3, 3, 3)
    with override_settings(REHAB_MOBILE_PUSH_ATTEMPTS=1):
        assert _every_outbox(AT_0805, delivered) == (0, 3, 3)
    assert len(mail.outbox) == 3
    assert len(receiver.received) == 3
    assert len(fcm.received) == 6  # each reminder tried, then once more after Retry-After
    assert Notification.objects.filter(user=patient.user).count() == 3  # in-app, always

    # Everything runs again: the sweep, a redelivered task, a batch after its lease ran out.
    fcm.answer(ANDROID, "ok")
    for later in (AT_0805, AT_0805 + timedelta(minutes=10)):
        assert deliver_due_reminders(now=later).sent == 0
        assert _every_outbox(later, delivered) == (0, 0, 0)
    assert len(mail.outbox) == 3
    assert len(receiver.received) == 3
    assert len(fcm.received) == 6
    assert Notification.objects.filter(user=patient.user).count() == 3


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ({}, (3, 3, 3)),
        ({"email_reminders": False}, (0, 3, 3)),
        ({"push_reminders": False}, (3, 0, 3)),
        ({"mobile_reminders": False}, (3, 3, 0)),
        ({"email_reminders": False, "push_reminders": False, "mobile_reminders": False}, (0, 0, 0)),
    ],
)
def test_delivery_honours_the_channels_the_patient_chose(
    services: tuple[PushReceiver, FakeFcm], choices: dict[str, bool], expected: tuple[int, ...]
) -> None:
    receiver, fcm = services
    patient = _patient_on_every_channel(receiver, **choices)
    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.sent == 3  # the in-app notice whatever the choice
    assert (delivered.emails, delivered.pushes, delivered.mobile) == expected
    mobile_sent, emailed, pushed = _every_outbox(AT_0805, delivered)
    assert (emailed, pushed, mobile_sent) == expected
    assert len(mail.outbox) == expected[0]
    assert len(receiver.received) == expected[1]
    assert len(fcm.accepted()) == expected[2]
    assert Notification.objects.filter(user=patient.user).count() == 3


def test_the_reminders_page_offers_the_channels_and_saves_them(
    services: tuple[PushReceiver, FakeFcm], client: Client
) -> None:
    patient = _patient_on_every_channel(services[0])
    client.force_login(patient.user)
    page = client.get(reverse("preferences")).content.decode()
    for name in ("email_reminders", "push_reminders", "mobile_reminders"):
        assert f'name="{name}"' in page
    assert "How reminders reach you" in page

    form = {"session_times": "08:00, 18:00", "time_zone": "Europe/London"}
    response = client.post(reverse("preferences"), {**form, "mobile_reminders": "on"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.email_reminders, patient.push_reminders, patient.mobile_reminders) == (
        False,
        False,
        True,
    )


def test_a_channel_the_clinic_has_not_set_up_is_not_offered_and_keeps_its_choice(
    client: Client,
) -> None:
    patient = factories.PatientFactory(push_reminders=False)
    client.force_login(patient.user)
    page = client.get(reverse("preferences")).content.decode()
    assert 'name="push_reminders"' not in page
    assert 'name="mobile_reminders"' not in page
    form = {"session_times": "08:00", "time_zone": "Europe/London", "email_reminders": "on"}
    assert client.post(reverse("preferences"), form).status_code == 302
    patient.refresh_from_db()
    assert (patient.email_reminders, patient.push_reminders, patient.mobile_reminders) == (
        True,
        False,
        True,
    )


def test_a_bad_time_beside_the_channels_is_shown_by_the_field_with_a_summary(
    services: tuple[PushReceiver, FakeFcm], client: Client
) -> None:
    patient = _patient_on_every_channel(services[0])
    client.force_login(patient.user)
    form = {"session_times": "25:61", "time_zone": "Europe/London", "push_reminders": "on"}
    page = client.post(reverse("preferences"), form).content.decode()
    assert 'class="error-summary' in page  # the page's summary at the top (base.html)
    assert page.count("is not a time like 08:00") == 2  # in it, and beside the field
    patient.refresh_from_db()
    assert patient.email_reminders is True  # nothing saved
