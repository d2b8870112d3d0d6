"""Reminder tasks: the planner materialises each patient's local days ahead; the per-minute
sweep counts what falls due and starts enough batch tasks to deliver it; each batch claims
its reminders (row locks, SKIP LOCKED) and delivers them in one transaction, and leaves their
e-mail, web-push and mobile-app copies to outbox tasks (a batch over one SMTP connection, or
one HTTP session): the pushes are queued first, as they are the quicker to reach the phone."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.utils import timezone

from patients.notifications.mobile import enabled_platforms
from patients.notifications.push import push_enabled
from patients.notifications.services import (
    EMAIL_BATCH,
    MOBILE_PUSHES,
    PUSHES,
    Held,
    owed_emails,
    prune_notifications,
)
from patients.reminders.services import (
    BATCH,
    CATCH_UP,
    deliver_due_reminders,
    deliver_reminder,
    due_reminders,
    nudge_batch,
    nudges_due,
    plan_reminders,
    prune_reminders,
    send_reminder_emails,
    send_reminder_mobile_pushes,
    send_reminder_pushes,
)
from rehab.api import prune_idempotency_keys
from rehab.tasks import clinical_task

logger = logging.getLogger(__name__)


@clinical_task(time_limit=900, name="patients.tasks.reminder_plan_sweep")
def reminder_plan_sweep() -> None:
    """Every five minutes: plan the patients whose local day rolled over, who were never
    planned or whose programme revision changed, in chunks that each commit (a run cut short
    by its time limit leaves the rest to the next one; a chunk planned twice adds nothing)."""
    plan_reminders(now=timezone.now())


def batches(count: int, size: int) -> int:
    return -(-count // size)


@clinical_task(time_limit=60, name="patients.tasks.reminder_sweep")
def reminder_sweep() -> None:
    """Every minute: count the reminders due now (one indexed query) and start one batch
    task per BATCH of them; likewise for e-mail copies still owed (their batch's lease ran
    out: a worker died, or its task was lost or did not start in time) and for the nudges
    due. A batch task takes whichever due reminders are still pending and unlocked when it
    runs, so a task started twice, or one too many, costs one empty read."""
    now = timezone.now()
    for _ in range(batches(due_reminders(now=now).count(), BATCH)):
        deliver_reminders_task.delay()
    for _ in range(batches(owed_emails(now=now, since=now - CATCH_UP).count(), EMAIL_BATCH)):
        send_reminder_emails_task.delay()
    if push_enabled():
        for _ in range(batches(PUSHES.owed(now=now, since=now - CATCH_UP).count(), PUSHES.batch)):
            send_reminder_pushes_task.delay()
    if enabled_platforms():
        owed = MOBILE_PUSHES.owed(now=now, since=now - CATCH_UP).count()
        for _ in range(batches(owed, MOBILE_PUSHES.batch)):
            send_reminder_mobile_pushes_task.delay()
    for _ in range(batches(nudges_due(now=now).count(), BATCH)):
        send_nudges_task.delay()


@clinical_task(time_limit=120, name="patients.tasks.deliver_reminders_task")
def deliver_reminders_task() -> None:
    """Deliver up to BATCH due reminders, then start the outbox for their e-mails (after
    the in-app notifications, which the queue's order keeps first)."""
    delivered = deliver_due_reminders(now=timezone.now())
    if delivered.pushes:
        send_reminder_pushes_task.delay()
    if delivered.mobile:
        send_reminder_mobile_pushes_task.delay()
    if delivered.email_batch:
        batch_id = delivered.email_batch.batch_id
        send_reminder_emails_task.delay(batch_id)


@clinical_task(time_limit=120, name="patients.tasks.send_nudges_task")
def send_nudges_task() -> None:
    """One batch of follow-up nudges (two hours after an unlogged session's reminder, the
    08:00 wave's nudges come at 10:00: thousands at once in a large clinic)."""
    nudge_batch(now=timezone.now())
    if push_enabled():
        send_reminder_pushes_task.delay()
    if enabled_platforms():
        send_reminder_mobile_pushes_task.delay()


@clinical_task(time_limit=300, name="patients.tasks.send_reminder_emails_task")
def send_reminder_emails_task(batch_id: str = "") -> None:
    """The e-mails a delivery held for this batch (`Held.batch_id`), or, without it (the
    per-minute sweep, a message from before held batches), a batch of those owed."""
    held = Held.from_batch_id(batch_id) if batch_id else None
    send_reminder_emails(now=timezone.now(), held=held)


@clinical_task(time_limit=300, name="patients.tasks.send_reminder_pushes_task")
def send_reminder_pushes_task() -> None:
    send_reminder_pushes(token=uuid.uuid4(), now=timezone.now())


@clinical_task(time_limit=300, name="patients.tasks.send_reminder_mobile_pushes_task")
def send_reminder_mobile_pushes_task() -> None:
    """One batch of mobile-app pushes; its retries of throttled devices wait within the
    batch (REHAB_MOBILE_PUSH_ATTEMPTS × REHAB_MOBILE_PUSH_MAX_WAIT at most, well inside the
    time limit), while the e-mail and web-push batches run in tasks of their own."""
    send_reminder_mobile_pushes(token=uuid.uuid4(), now=timezone.now())


@clinical_task(name="patients.tasks.send_reminder_task")
def send_reminder_task(reminder_id: str) -> None:
    """One reminder by id: messages queued before delivery went in batches still arrive."""
    deliver_reminder(reminder_id=reminder_id, now=timezone.now())


# Each kind of row a retention run deletes for at most this long, checked between chunks of
# 2,000 (three kinds: well inside its time limit); what is left waits for the next hourly run.
RETENTION_BUDGET = timedelta(seconds=60)


@clinical_task(time_limit=300, name="patients.tasks.retention_sweep")
def retention_sweep() -> None:
    """Hourly: delete the reminders and notifications older than REHAB_MESSAGE_RETENTION_DAYS
    and the idempotency keys no longer honoured, a chunk per transaction. Each run deletes
    about an hour's worth (what became old since the last); a backlog (the first runs after
    an upgrade) goes RETENTION_BUDGET per kind an hour."""
    now = timezone.now()
    reminders = prune_reminders(now=now, budget=RETENTION_BUDGET)
    notifications = prune_notifications(now=now, budget=RETENTION_BUDGET)
    keys = prune_idempotency_keys(now=now, budget=RETENTION_BUDGET)
    finished = reminders.finished and notifications.finished and keys.finished
    logger.info(
        "retention: deleted %d reminders, %d notifications, %d idempotency keys%s",
        reminders.deleted,
        notifications.deleted,
        keys.deleted,
        "" if finished else " (more left for the next run)",
    )
