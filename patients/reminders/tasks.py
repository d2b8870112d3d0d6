"""Reminder tasks: the per-minute sweep plans what is due and hands each reminder to a worker."""

from __future__ import annotations

from django.utils import timezone

from patients.reminders.services import deliver_reminder, schedule_due_reminders, send_nudges
from rehab.tasks import clinical_task


@clinical_task(time_limit=60, name="patients.tasks.reminder_sweep")
def reminder_sweep() -> None:
    """Every minute: create due reminders from the database and hand each to a worker."""
    now = timezone.now()
    for reminder_id in schedule_due_reminders(now=now):
        send_reminder_task.delay(reminder_id)
    send_nudges(now=now)


@clinical_task(name="patients.tasks.send_reminder_task")
def send_reminder_task(reminder_id: str) -> None:
    deliver_reminder(reminder_id=reminder_id, now=timezone.now())
