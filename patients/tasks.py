"""Celery finds the app's tasks here (autodiscovery imports `patients.tasks`). Each lives with
its capability; every one keeps its explicit `patients.tasks.…` name, the wire name that the
beat schedule and messages already queued refer to."""

from patients.monitoring.tasks import (
    escalate_red_flags,
    evaluate_patient_task,
    flag_digest_sweep,
    flag_digest_task,
    monitoring_chunk_task,
    monitoring_sweep,
    notify_flag_task,
    red_flag_sweep,
)
from patients.reminders.tasks import (
    deliver_reminders_task,
    reminder_plan_sweep,
    reminder_sweep,
    retention_sweep,
    send_nudges_task,
    send_reminder_emails_task,
    send_reminder_mobile_pushes_task,
    send_reminder_pushes_task,
    send_reminder_task,
)

__all__ = [
    "deliver_reminders_task",
    "escalate_red_flags",
    "evaluate_patient_task",
    "flag_digest_sweep",
    "flag_digest_task",
    "monitoring_chunk_task",
    "monitoring_sweep",
    "notify_flag_task",
    "red_flag_sweep",
    "reminder_plan_sweep",
    "reminder_sweep",
    "retention_sweep",
    "send_nudges_task",
    "send_reminder_emails_task",
    "send_reminder_mobile_pushes_task",
    "send_reminder_pushes_task",
    "send_reminder_task",
]
