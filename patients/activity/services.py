"""Recording what a patient did: sessions and their exercises, morning check-ins. Each record
carries a client-chosen uuid, so a retried upload is stored once (a replay) and a different
body under the same uuid is a conflict."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, models, transaction

from patients.models import (
    CheckIn,
    ExerciseLog,
    Patient,
    SessionLog,
)
from patients.monitoring.selectors import pause_for
from patients.monitoring.services import evaluate_patient
from patients.reminders.services import replan_reminders
from patients.schedule import local_today
from programmes.models import Programme, ProgrammeItem
from programmes.selectors import catalogue_snapshot
from rehab.exceptions import DomainError, validate_model
from rehab.limits import DATE_SLACK, EARLIEST_DATE

log = logging.getLogger(__name__)


# --- What patients log --------------------------------------------------------------------


def _check_local_date(patient: Patient, local_date: date, now: datetime) -> None:
    latest = local_today(patient, now) + DATE_SLACK
    if local_date > latest:
        raise DomainError(
            "This date has not come yet in your time zone.",
            fields={"local_date": [f"Use a date up to {latest}."]},
        )
    if local_date < EARLIEST_DATE:
        raise DomainError(
            "This date is too far in the past.",
            fields={"local_date": [f"Use a date from {EARLIEST_DATE}."]},
        )


class Outcome(models.TextChoices):
    """What recording a record did. An offline batch reports one per record (`rejected`:
    refused, with the reason), and the API answers 201, 200 or a replay by it."""

    CREATED = "created"
    UPDATED = "updated"
    ALREADY_PRESENT = "already_present"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Recorded:
    """The stored row and what happened: created, updated, or already present (a replay)."""

    obj: Any
    outcome: Outcome


def _replay_or_conflict(existing: Any, fields: Mapping[str, Any]) -> Recorded:
    if all(getattr(existing, name) == value for name, value in fields.items()):
        return Recorded(existing, Outcome.ALREADY_PRESENT)
    raise _conflict()


def _conflict() -> DomainError:
    return DomainError(
        "This record was already sent with different content.",
        code="conflict",
        fields={"client_uuid": ["Already used for a different record."]},
    )


def _entry(item_key: uuid.UUID, done: Any) -> tuple[object, ...]:
    """What a patient reported for one exercise, comparable between a request and a row."""
    return (
        item_key,
        done.sets_done,
        done.reps_done,
        done.hold_s_done,
        done.load,
        done.pain_during_nrs,
    )


def _save_or_replay(
    obj: Any, fields: Mapping[str, Any], logged_at: datetime | None = None
) -> Recorded | None:
    """Set `fields` (and `logged_at`), validate, and save a new or changed row. If a concurrent
    request with the same client UUID won the race, answer as a replay of its row (or a
    conflict). None means saved."""
    for name, value in fields.items():
        setattr(obj, name, value)
    if logged_at is not None:
        obj.logged_at = logged_at
    # Field checks here; uniqueness is left to the database, because a racing duplicate can
    # commit between a uniqueness check and the insert, and it must be answered as a replay.
    validate_model(obj, unique=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        existing = (
            type(obj).objects.filter(patient=obj.patient, client_uuid=obj.client_uuid).first()
        )
        if existing is None:
            # Another record (another device, another UUID) took the same slot or day at the
            # same moment: nothing was stored; the client can send again to update it.
            raise DomainError(
                "This was logged from another device at the same moment; please send it again.",
                code="conflict",
            ) from None
        return _replay_or_conflict(existing, fields)
    return None


@transaction.atomic
def record_check_in(
    *,
    patient: Patient,
    client_uuid: uuid.UUID,
    local_date: date,
    morning_pain_nrs: int,
    stiffness_minutes: int,
    red_flags: list[str],
    logged_at: datetime,
    now: datetime,
    swelling: bool | None = None,
) -> Recorded:
    """Store the morning check-in, once per local day. `swelling` (None: not asked) = yes
    pauses heat while it is the latest answer.

    Idempotent on `client_uuid`: the same UUID and content again returns the stored row; the
    same UUID with other content is a conflict. A second check-in for the same day updates it.
    A red-flag answer raises the therapist's flag in the same transaction (so it exists before
    the patient reads the advice, with or without a worker); the e-mail goes after commit, and
    the red-flag sweep re-sends it if the broker was down."""
    _check_local_date(patient, local_date, now)
    known = set(catalogue_snapshot().red_flags)
    unknown = sorted(set(red_flags) - known)
    if unknown:
        raise DomainError(
            f"Unknown red flag(s): {', '.join(unknown)}.",
            fields={"red_flags": [f"Valid: {', '.join(sorted(known))}."]},
        )
    fields = {
        "local_date": local_date,
        "morning_pain_nrs": morning_pain_nrs,
        "stiffness_minutes": stiffness_minutes,
        "red_flags": sorted(set(red_flags)),
        "swelling": swelling,
    }
    existing = CheckIn.objects.filter(patient=patient, client_uuid=client_uuid).first()
    if existing is not None:
        return _replay_or_conflict(existing, fields)
    check_in = (
        CheckIn.objects.select_for_update().filter(patient=patient, local_date=local_date).first()
    )
    outcome = Outcome.UPDATED
    if check_in is None:
        check_in = CheckIn(patient=patient, client_uuid=client_uuid, logged_at=logged_at)
        outcome = Outcome.CREATED
    if (raced := _save_or_replay(check_in, fields, logged_at)) is not None:
        return raced
    if check_in.red_flags:
        evaluate_patient(patient=patient, now=now)
        # F3: the pause removes the unsent session, ice, heat and questionnaire reminders.
        replan_reminders(patient_ids=[patient.pk], now=now)
    return Recorded(check_in, outcome)


PAUSED_MESSAGE = (
    "Your programme is paused because of the warning sign you reported. Please follow the "
    "advice you were given; your clinician will restart your exercises."
)


@dataclass(frozen=True)
class ExerciseDone:
    item_key: uuid.UUID
    sets_done: int | None = None
    reps_done: int | None = None
    hold_s_done: int | None = None
    load: str = ""
    pain_during_nrs: int | None = None


@transaction.atomic
def record_session(
    *,
    patient: Patient,
    client_uuid: uuid.UUID,
    local_date: date,
    slot: int,
    logged_at: datetime,
    exercises: list[ExerciseDone],
    pain_after_nrs: int | None = None,
    now: datetime,
    skipped: bool = False,
    skip_reason: str = "",
) -> Recorded:
    """Store one exercise session (or a skip) for a slot of the patient's active programme.

    Idempotent on `client_uuid`; logging the same slot again replaces what it holds. Each entry
    stores the prescribed dose beside what was done."""
    programme = (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .select_related("current_revision")
        .first()
    )
    if programme is None:
        raise DomainError("There is no active programme to log against.", code="no_programme")
    _check_local_date(patient, local_date, now)
    if skipped and not skip_reason.strip():
        raise DomainError(
            "Say why the session was skipped.",
            fields={"skip_reason": ["A reason is required when skipping."]},
        )
    existing = SessionLog.objects.filter(patient=patient, client_uuid=client_uuid).first()
    summary = {
        "local_date": local_date,
        "slot": slot,
        "status": SessionLog.Status.SKIPPED if skipped else SessionLog.Status.DONE,
        "pain_after_nrs": pain_after_nrs,
        "skip_reason": skip_reason.strip(),
    }
    if existing is not None:
        # A replay must match the exercise entries too, or an edit would be lost silently.
        sent = set() if skipped else {_entry(e.item_key, e) for e in exercises}
        if sent != {_entry(row.item_key, row) for row in existing.exercises.all()}:
            raise _conflict()
        return _replay_or_conflict(existing, summary)
    # A red flag pauses the programme until a clinician resolves it (F3): a session the
    # device logged after the flag was reported is refused. One logged before it (done that
    # morning, synced later) is history and kept; a replay above still answers as before.
    pause = pause_for(patient)
    if pause is not None and local_date >= pause.since and logged_at >= pause.started_at:
        raise DomainError(PAUSED_MESSAGE, code="programme_paused")

    items = {
        item.key: item
        for item in ProgrammeItem.objects.filter(
            phase__revision=programme.current_revision
        ).select_related("exercise")
    }
    unknown = [str(e.item_key) for e in exercises if e.item_key not in items]
    if unknown:
        raise DomainError(
            "Some exercises are not in the current programme.",
            fields={"exercises": [f"Unknown item {key}." for key in unknown]},
        )
    log = (
        SessionLog.objects.select_for_update()
        .filter(programme=programme, local_date=local_date, slot=slot)
        .first()
    )
    outcome = Outcome.UPDATED
    if log is None:
        log = SessionLog(patient=patient, programme=programme, client_uuid=client_uuid)
        outcome = Outcome.CREATED
    if (raced := _save_or_replay(log, summary, logged_at)) is not None:
        return raced
    ExerciseLog.objects.filter(session=log).delete()
    rows = []
    for entry in [] if skipped else exercises:
        item = items[entry.item_key]
        row = ExerciseLog(
            session=log,
            item_key=entry.item_key,
            exercise=item.exercise,
            target_sets=item.sets,
            target_reps=item.reps,
            target_hold_s=item.hold_s,
            sets_done=entry.sets_done,
            reps_done=entry.reps_done,
            hold_s_done=entry.hold_s_done,
            load=entry.load,
            pain_during_nrs=entry.pain_during_nrs,
        )
        validate_model(row, exclude=["session"])
        rows.append(row)
    ExerciseLog.objects.bulk_create(rows)
    return Recorded(log, outcome)
