"""Reminder tasks: the planner materialises each patient's local days ahead; the per-minute
sweep reads only what falls due and hands each reminder to a worker."""

from __future__ import annotations

from django.utils import timezone

from patients.reminders.services import (
    deliver_reminder,
    due_reminder_ids,
    plan_reminders,
    send_nudges,
)
from rehab.tasks import clinical_task


@clinical_task(time_limit=900, name="patients.tasks.reminder_plan_sweep")
def reminder_plan_sweep() -> None:
    """Every five minutes: plan the patients whose local day rolled over, who were never
    planned or whose programme revision changed, in chunks that each commit (a run cut short
    by its time limit leaves the rest to the next one; a chunk planned twice adds nothing)."""
    plan_reminders(now=timezone.now())


@clinical_task(time_limit=60, name="patients.tasks.reminder_sweep")
def reminder_sweep() -> None:
    """Every minute: one indexed query for the reminders due now; each goes to a worker."""
    now = timezone.now()
    for reminder_id in due_reminder_ids(now=now):
        send_reminder_task.delay(reminder_id)
    send_nudges(now=now)


@clinical_task(name="patients.tasks.send_reminder_task")
def send_reminder_task(reminder_id: str) -> None:
    deliver_reminder(reminder_id=reminder_id, now=timezone.now())
