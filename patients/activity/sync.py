"""Writes the REST API adds to activity/services.py: changing and deleting a session log,
and the offline-sync batch that records many logs, check-ins and questionnaire responses at once.

Every record goes through the same recording services as the web pages, so the rules
(idempotent on `client_uuid`, one log per slot, one check-in a day, a conflict for a reused
UUID with other content) are the same whichever way a record arrives."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from patients.activity.services import (
    ExerciseDone,
    Outcome,
    Recorded,
    check_changeable,
    record_check_in,
    record_session,
)
from patients.models import Patient, SessionLog
from patients.questionnaires.services import record_questionnaire
from programmes.models import Programme
from rehab.exceptions import DomainError
from rehab.limits import CHANGE_WINDOW

# How long after its date a session log may be changed or deleted (rehab/limits.py).
CHANGE_WINDOW_DAYS = CHANGE_WINDOW.days

MAX_BATCH = 500


RECORDERS: dict[str, Callable[..., Recorded]] = {
    "session": record_session,
    "check_in": record_check_in,
    "questionnaire": record_questionnaire,
}


def lock_patient(patient: Patient) -> None:
    """Serialise one patient's offline writes for the rest of the transaction.

    A phone that retries while its first request is still in flight sends the same record
    twice at once. Holding the patient's row lock makes the second wait, then find the
    first's row and replay it, rather than racing it to the database (where the recording
    services would also answer it as a replay, after a failed insert). SQLite already runs
    writers one at a time (IMMEDIATE transactions), where this is a no-op."""
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()


@transaction.atomic
def record_offline(kind: str, *, patient: Patient, **values: Any) -> Recorded:
    """Record one session log / check-in / questionnaire response (see RECORDERS)."""
    lock_patient(patient)
    return RECORDERS[kind](patient=patient, **values)


@transaction.atomic
def update_session_log(
    *,
    patient: Patient,
    log: SessionLog,
    logged_at: datetime,
    exercises: list[ExerciseDone],
    now: datetime,
    pain_after_nrs: int | None = None,
    skipped: bool = False,
    skip_reason: str = "",
) -> Recorded:
    """Replace what a logged session holds (its date and slot stay: they are its identity),
    within CHANGE_WINDOW of its date, as for deleting.

    Goes through `record_session` with a fresh client UUID, so the slot's row is found and
    updated exactly as when a phone logs the same slot twice; the row keeps its own UUID."""
    if log.patient_id != patient.pk:
        raise DomainError("Only your own session logs can be changed.", code="permission_denied")
    lock_patient(patient)
    check_changeable(patient, log, now, delete=False)
    is_current = Programme.objects.filter(
        pk=log.programme_id, status=Programme.Status.ACTIVE
    ).exists()
    if not is_current:
        raise DomainError(
            "Only sessions of your current programme can be changed.", code="programme_ended"
        )
    return record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=log.local_date,
        slot=log.slot,
        logged_at=logged_at,
        exercises=exercises,
        pain_after_nrs=pain_after_nrs,
        skipped=skipped,
        skip_reason=skip_reason,
        now=now,
    )


@transaction.atomic
def delete_session_log(*, patient: Patient, log: SessionLog, now: datetime) -> None:
    """Delete one of the patient's own session logs (and its exercise entries), only within
    CHANGE_WINDOW of its local date in the patient's zone.

    Note: a phone that later resends the deleted log's original POST creates it again (no
    tombstone is kept); apps should drop a record from their outbox once it is acknowledged."""
    if log.patient_id != patient.pk:
        raise DomainError("Only your own session logs can be deleted.", code="permission_denied")
    check_changeable(patient, log, now, delete=True)
    log.delete()


# --- Offline-sync batch -------------------------------------------------------------------


@dataclass(frozen=True)
class SyncItem:
    """One record of a batch: `kind` is session / check_in / questionnaire and `values` the
    keyword arguments of its recording service (already shape-checked), or `error` when the
    record failed that check."""

    index: int
    kind: str
    client_uuid: uuid.UUID | None
    values: Mapping[str, Any] = field(default_factory=dict)
    error: DomainError | None = None


@dataclass(frozen=True)
class SyncResult:
    index: int
    kind: str
    client_uuid: uuid.UUID | None
    status: str  # created / updated / already_present / rejected
    obj: Any = None
    error: DomainError | None = None
    reported_late: bool = False  # a check-in's red flag raised after its window (Recorded)


@transaction.atomic
def sync_records(*, patient: Patient, items: Sequence[SyncItem], now: datetime) -> list[SyncResult]:
    """Record a batch from an offline device, in order, each in its own savepoint: a record
    the domain refuses is reported as rejected with the reason and rolls back alone, so one
    bad record never blocks the others. Sending the same batch again creates nothing (each
    record replays on its `client_uuid`). A record without `logged_at` is stamped `now`."""
    if len(items) > MAX_BATCH:
        raise DomainError(
            f"Send at most {MAX_BATCH} records per batch.",
            fields={"records": [f"At most {MAX_BATCH} records."]},
        )
    lock_patient(patient)
    results = []
    for item in items:
        if item.error is not None:
            results.append(_rejected(item, item.error))
            continue
        values = {"logged_at": now, **item.values, "now": now}
        try:
            with transaction.atomic():
                recorded = RECORDERS[item.kind](patient=patient, **values)
        except DomainError as error:
            results.append(_rejected(item, error))
            continue
        results.append(
            SyncResult(
                item.index,
                item.kind,
                item.client_uuid,
                recorded.outcome,
                recorded.obj,
                reported_late=recorded.reported_late,
            )
        )
    return results


def _rejected(item: SyncItem, error: DomainError) -> SyncResult:
    return SyncResult(item.index, item.kind, item.client_uuid, Outcome.REJECTED, error=error)
