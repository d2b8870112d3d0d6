"""Monitoring tasks: ids in, load, call one service. The database is the source of truth; the
sweeps re-drive anything a lost message or a broker outage delayed."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.utils import timezone

from patients.models import Flag, Patient, Therapist
from patients.monitoring.services import (
    escalate_unacknowledged_flags,
    evaluate_patient,
    notify_flag,
    send_flag_digest,
    sweep_red_flags,
)
from patients.monitoring.sweep import chunk_bounds, evaluate_range
from rehab.tasks import clinical_task

log = logging.getLogger(__name__)


@clinical_task(name="patients.tasks.evaluate_patient_task")
def evaluate_patient_task(patient_id: str) -> None:
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        return  # deleted since: nothing to do
    evaluate_patient(patient=patient, now=timezone.now())


@clinical_task(name="patients.tasks.notify_flag_task")
def notify_flag_task(flag_id: str) -> None:
    flag = Flag.objects.filter(pk=flag_id).select_related("patient__therapist__user").first()
    if flag is None:
        return
    notify_flag(flag=flag, now=timezone.now())


@clinical_task(time_limit=60, name="patients.tasks.red_flag_sweep")
def red_flag_sweep() -> None:
    """Every minute: recent red-flag check-ins evaluated, unsent urgent flags notified."""
    sweep_red_flags(now=timezone.now())


@clinical_task(time_limit=60, name="patients.escalate_red_flags")
def escalate_red_flags() -> None:
    """Every minute: same-day and emergency red flags nobody acknowledged in time go to the
    clinic admins, once each (the service's compare-and-set)."""
    escalate_unacknowledged_flags(now=timezone.now())


@clinical_task(time_limit=600, name="patients.tasks.monitoring_sweep")
def monitoring_sweep() -> None:
    """Hourly: cut the active programmes into chunks and hand each to whichever worker is
    free, so N workers on K machines share the sweep (each chunk is idempotent)."""
    chunks = 0
    for first, last in chunk_bounds(chunk_size=settings.REHAB_SWEEP_CHUNK_SIZE):
        first_id, last_id = str(first), str(last)
        monitoring_chunk_task.delay(first_id, last_id)
        chunks += 1
    log.info("monitoring sweep: %d chunks queued", chunks)


@clinical_task(time_limit=600, name="patients.tasks.monitoring_chunk_task")
def monitoring_chunk_task(first_id: str, last_id: str) -> None:
    """One chunk of the monitoring sweep, in a fixed number of queries."""
    report = evaluate_range(first=uuid.UUID(first_id), last=uuid.UUID(last_id), now=timezone.now())
    log.info(
        "monitoring chunk: %d programmes, %d findings, %d flags created, %d updated",
        report.programmes,
        report.findings,
        report.created,
        report.updated,
    )


@clinical_task(time_limit=600, name="patients.tasks.flag_digest_sweep")
def flag_digest_sweep() -> None:
    """Daily: one digest task per therapist, shared by every worker."""
    for pk in Therapist.objects.values_list("pk", flat=True).iterator():
        therapist_id = str(pk)
        flag_digest_task.delay(therapist_id)


@clinical_task(name="patients.tasks.flag_digest_task")
def flag_digest_task(therapist_id: str) -> None:
    """One e-mail listing the flags raised since the therapist's last digest (once: the
    service marks what it sent)."""
    therapist = Therapist.objects.filter(pk=therapist_id).select_related("user").first()
    if therapist is None:
        return
    send_flag_digest(therapist=therapist, now=timezone.now())
