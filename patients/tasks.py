"""Celery entry points: ids in, load, call one service. The database is the source of truth;
the sweeps re-drive anything a lost message or a broker outage delayed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import ParamSpec

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError, models
from django.utils import timezone

from patients.models import CheckIn, Flag, Patient, Therapist
from patients.reminder_services import deliver_reminder, schedule_due_reminders, send_nudges
from patients.services import (
    NOTIFY_CLAIM_TIMEOUT,
    escalate_unacknowledged_flags,
    evaluate_patient,
    notify_flag,
    send_flag_digest,
)
from patients.sweep import evaluate_active_programmes, evaluate_programmes
from programmes.models import Programme

log = logging.getLogger(__name__)
P = ParamSpec("P")

# Retry only what can pass by itself: a database connection blip, a mail server hiccup.
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


def clinical_task(
    *, time_limit: int = 60, name: str | None = None
) -> Callable[[Callable[P, None]], Task[P, None]]:
    """A late-acknowledged task that retries only transient errors, with time limits."""
    return shared_task(
        name=name or "",  # empty: Celery's own "module.function" name
        autoretry_for=TRANSIENT,
        retry_backoff=True,
        retry_backoff_max=60,  # well under the Redis visibility timeout: a retry is an ETA
        retry_jitter=True,
        max_retries=5,
        acks_late=True,
        soft_time_limit=time_limit - 5,
        time_limit=time_limit,
    )


@clinical_task()
def evaluate_patient_task(patient_id: str) -> None:
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        return  # deleted since: nothing to do
    evaluate_patient(patient=patient, now=timezone.now())


@clinical_task()
def notify_flag_task(flag_id: str) -> None:
    flag = Flag.objects.filter(pk=flag_id).select_related("patient__therapist__user").first()
    if flag is None:
        return
    notify_flag(flag=flag, now=timezone.now())


@clinical_task(time_limit=60)
def red_flag_sweep() -> None:
    """Every minute: evaluate patients whose recent check-ins carry red flags, and notify any
    urgent flag not yet notified (or whose sender died mid-send)."""
    now = timezone.now()
    since = now - timedelta(days=2)
    recent = (
        CheckIn.objects.filter(created_at__gte=since)
        .exclude(red_flags=[])
        .values_list("patient_id", flat=True)
        .distinct()
    )
    # The one monitoring pipeline, those patients' active programmes as chunks.
    programmes = list(
        Programme.objects.filter(patient_id__in=list(recent), status=Programme.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = settings.REHAB_SWEEP_CHUNK_SIZE
    for start in range(0, len(programmes), size):
        evaluate_programmes(programme_ids=programmes[start : start + size], now=now)
    pending = Flag.objects.filter(severity=Flag.Severity.URGENT, notified_at__isnull=True).filter(
        models.Q(notify_claimed_at__isnull=True)
        | models.Q(notify_claimed_at__lt=now - NOTIFY_CLAIM_TIMEOUT)
    )
    for flag in pending.select_related("patient__therapist__user"):
        notify_flag(flag=flag, now=now)


@clinical_task(time_limit=60, name="patients.escalate_red_flags")
def escalate_red_flags() -> None:
    """Every minute: same-day and emergency red flags nobody acknowledged in time go to the
    clinic admins, once each (the service's compare-and-set)."""
    escalate_unacknowledged_flags(now=timezone.now())


@clinical_task(time_limit=3400)
def monitoring_sweep() -> None:
    """Hourly: evaluate every active programme, in chunks of a fixed number of queries."""
    report = evaluate_active_programmes(
        now=timezone.now(), chunk_size=settings.REHAB_SWEEP_CHUNK_SIZE
    )
    log.info(
        "monitoring sweep: %d programmes, %d findings, %d flags created, %d updated",
        report.programmes,
        report.findings,
        report.created,
        report.updated,
    )


@clinical_task(time_limit=60)
def reminder_sweep() -> None:
    """Every minute: create due reminders from the database and hand each to a worker."""
    now = timezone.now()
    for reminder_id in schedule_due_reminders(now=now):
        send_reminder_task.delay(reminder_id)
    send_nudges(now=now)


@clinical_task()
def send_reminder_task(reminder_id: str) -> None:
    deliver_reminder(reminder_id=reminder_id, now=timezone.now())


@clinical_task(time_limit=600)
def flag_digest_sweep() -> None:
    """Daily: one e-mail per therapist listing the flags raised since their last digest."""
    now = timezone.now()
    for therapist in Therapist.objects.select_related("user"):
        send_flag_digest(therapist=therapist, now=now)
