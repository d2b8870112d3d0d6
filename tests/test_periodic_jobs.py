"""Every job in CELERY_BEAT_SCHEDULE, run twice in a row, changes nothing the second time
(issue 13, item 7): beat fires again after an outage, or two beats overlap, and no patient is
reminded twice, no flag is raised twice and no e-mail is sent twice."""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from patients import tasks
from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import ExerciseLog, Flag, Notification, Reminder, SessionLog
from programmes.models import ProgrammeItem
from rehab.apps import CLINIC_ADMINS
from rehab.celery import app
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _world() -> None:
    """Something due for every job: a patient in pain with a red flag reported an hour ago
    (monitoring, red-flag sweep, escalation, digest) and another whose session reminder is
    due now (reminders)."""
    admins, _ = Group.objects.get_or_create(name=CLINIC_ADMINS)
    factories.UserFactory(is_staff=True, email="admin@clinic.example").groups.add(admins)

    hurting = factories.PatientFactory()
    hurting.therapist.user.email = "therapist@clinic.example"
    hurting.therapist.user.save()
    programme = factories.prescribe(hurting, started_on=NOW.date() - timedelta(days=10))
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    assert item is not None
    for days_ago in range(1, 4):
        record_session(
            patient=hurting,
            client_uuid=uuid.uuid4(),
            local_date=NOW.date() - timedelta(days=days_ago),
            slot=1,
            logged_at=NOW - timedelta(days=days_ago),
            exercises=[ExerciseDone(item_key=item.key, sets_done=3, pain_during_nrs=8)],
            pain_after_nrs=8,
            now=timezone.now(),
        )
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        record_check_in(
            patient=hurting,
            client_uuid=uuid.uuid4(),
            local_date=NOW.date(),
            morning_pain_nrs=6,
            stiffness_minutes=30,
            red_flags=["sudden_pop"],
            swelling=False,
            logged_at=NOW - timedelta(hours=1),
            now=NOW - timedelta(hours=1),
        )

    reminded = factories.PatientFactory(session_times=["08:55"], quiet_start=time(0))
    reminded.quiet_end = time(0)
    reminded.save()
    factories.prescribe(reminded, started_on=NOW.date() - timedelta(days=3))


def _state() -> dict[str, Any]:
    return {
        "flags": sorted(
            (
                f.rule,
                f.episode,
                f.status,
                str(f.evidence),
                bool(f.notified_at),
                bool(f.escalated_at),
                bool(f.digested_at),
            )
            for f in Flag.objects.all()
        ),
        "notifications": sorted(Notification.objects.values_list("user_id", "kind", "title")),
        "reminders": sorted(Reminder.objects.values_list("patient_id", "slot", "status")),
        "sessions": SessionLog.objects.count() + ExerciseLog.objects.count(),
        "mail": len(mail.outbox),
    }


def test_every_periodic_job_run_twice_changes_nothing_the_second_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _world()
    # What a job hands to a worker runs here and now (the worker's own tests are elsewhere).
    queued = (
        tasks.deliver_reminders_task,
        tasks.send_reminder_emails_task,
        tasks.send_nudges_task,
        tasks.send_reminder_pushes_task,
        tasks.send_reminder_mobile_pushes_task,
        tasks.notify_flag_task,
        tasks.monitoring_chunk_task,
        tasks.flag_digest_task,
    )
    for task in queued:
        monkeypatch.setattr(task, "delay", lambda *args, t=task: t.apply(args=args))
    jobs = [app.tasks[entry["task"]] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert len(jobs) == len(settings.CELERY_BEAT_SCHEDULE) >= 5

    with time_machine.travel(NOW, tick=False):
        for job in jobs:
            job.apply().get()
        first = _state()
        for job in jobs:
            job.apply().get()
        second = _state()

    assert second == first
    # ...and the first round did the work, so the comparison means something.
    rules = {flag[0] for flag in first["flags"]}
    assert "red_flag:sudden_pop" in rules
    assert "pain_during_above_max" in rules
    assert any(flag[5] for flag in first["flags"])  # escalated
    assert any(flag[6] for flag in first["flags"])  # digested
    kinds = {kind for _, kind, _ in first["notifications"]}
    assert {"red_flag_escalation", "flag_digest", "reminder:session"} <= kinds
    assert first["mail"] >= 2


# The wire names: the beat schedule and messages already queued in Redis name tasks by these,
# so a task that moves to another module must keep its name (issue 13).
WIRE_NAMES = {
    "patients.tasks.evaluate_patient_task",
    "patients.tasks.notify_flag_task",
    "patients.tasks.red_flag_sweep",
    "patients.escalate_red_flags",
    "patients.tasks.monitoring_sweep",
    "patients.tasks.monitoring_chunk_task",
    "patients.tasks.flag_digest_sweep",
    "patients.tasks.flag_digest_task",
    "patients.tasks.reminder_plan_sweep",
    "patients.tasks.reminder_sweep",
    "patients.tasks.retention_sweep",
    "patients.tasks.send_reminder_task",
    "patients.tasks.deliver_reminders_task",
    "patients.tasks.send_reminder_emails_task",
    "patients.tasks.send_nudges_task",
    "patients.tasks.send_reminder_pushes_task",
    "patients.tasks.send_reminder_mobile_pushes_task",
}


def test_every_task_keeps_its_wire_name_and_the_beat_schedule_names_only_registered_tasks() -> None:
    app.loader.import_default_modules()
    registered = {name for name in app.tasks if name.startswith("patients.")}
    assert registered == WIRE_NAMES
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
