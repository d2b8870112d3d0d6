"""Reminders and red flags through a real Celery worker and broker."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.utils import timezone

from patients.activity.services import record_check_in
from patients.models import Flag, Notification, Reminder
from patients.reminders.tasks import send_reminder_task
from tests import factories
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_due_reminder_sent_twice_is_delivered_exactly_once(worker: Any) -> None:
    patient = factories.PatientFactory()
    reminder = factories.due_session_reminder(patient)
    runs: list[str] = []

    def count(sender: Any = None, args: Any = None, **_: Any) -> None:
        if sender.name == send_reminder_task.name and list(args or []) == [str(reminder.pk)]:
            runs.append("ran")

    task_postrun.connect(count, weak=False)
    try:
        send_reminder_task.delay(str(reminder.pk))
        send_reminder_task.delay(str(reminder.pk))  # a duplicate message, as Redis can produce
        wait_for(lambda: len(runs) == 2)  # both messages were executed by the worker
    finally:
        task_postrun.disconnect(count)
    assert Reminder.objects.get(pk=reminder.pk).status == "sent"
    assert Notification.objects.filter(user=patient.user, kind="reminder:session").count() == 1
    assert len(mail.outbox) == 1


def test_a_red_flag_check_in_reaches_the_therapist_within_seconds(worker: Any) -> None:
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=3))
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=timezone.localdate(),
        morning_pain_nrs=8,
        stiffness_minutes=30,
        red_flags=["sudden_pop"],
        logged_at=timezone.now(),
        now=timezone.now(),
    )
    seconds = wait_for(lambda: len(mail.outbox) == 1, timeout=30)
    flag = Flag.objects.get(patient=patient, rule="red_flag:sudden_pop")
    assert flag.severity == Flag.Severity.URGENT
    assert flag.notified_at is not None
    assert mail.outbox[0].to == [patient.therapist.user.email]
    assert seconds < 60  # the bound: within a minute of the answer
