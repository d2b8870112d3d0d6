"""Recording what a patient did: sessions and their exercises, morning check-ins. Each record
carries a client-chosen uuid, so a retried upload is stored once (a replay) and a different
body under the same uuid is a conflict."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction

from patients.activity.selectors import check_in_questions_of
from patients.models import (
    CheckIn,
    ExerciseLog,
    Patient,
    SessionLog,
)
from patients.monitoring.rules import Morning, reported_late
from patients.monitoring.selectors import pause_for
from patients.monitoring.services import evaluate_patient
from patients.reminders.services import replan_reminders
from patients.schedule import local_today
from programmes.models import Programme, ProgrammeItem
from rehab.exceptions import DomainError, validate_model
from rehab.limits import CHANGE_WINDOW, DATE_SLACK, EARLIEST_DATE

log = logging.getLogger(__name__)


# --- What patients log --------------------------------------------------------------------


def _check_local_date(
    patient: Patient,
    local_date: date,
    now: datetime,
    *,
    earliest: date = EARLIEST_DATE,
    began: str = "",
    slack: timedelta = DATE_SLACK,
) -> None:
    """`local_date` is from `earliest` (what `began` then, for the message) to the patient's
    own today (+ `slack`)."""
    latest = local_today(patient, now) + slack
    if local_date > latest:
        raise DomainError(
            "This date has not come yet in your time zone.",
            fields={"local_date": [f"Use a date up to {latest}."]},
        )
    if local_date < max(earliest, EARLIEST_DATE):
        first = max(earliest, EARLIEST_DATE)
        raise DomainError(
            f"This date is before {began}." if began else "This date is too far in the past.",
            fields={"local_date": [f"Use a date from {first}."]},
        )


def check_changeable(patient: Patient, log: SessionLog, now: datetime, *, delete: bool) -> None:
    """A session log is changed or deleted only within CHANGE_WINDOW of its local date."""
    if local_today(patient, now) - log.local_date <= CHANGE_WINDOW:
        return
    verb, code = ("deleted", "too_old_to_delete") if delete else ("changed", "too_old_to_change")
    raise DomainError(
        f"Sessions older than {CHANGE_WINDOW.days} days are part of your record and can no "
        f"longer be {verb}; ask your therapist if one is wrong.",
        code=code,
    )


def check_in_floor(patient: Patient) -> date:
    """The first date a check-in may carry: the patient's first diagnosis, or without one
    the day their account was made (in their zone); nothing was being monitored before."""
    first = patient.diagnoses.order_by("made_on").values_list("made_on", flat=True).first()
    if first is not None:
        return first
    return patient.user.date_joined.astimezone(patient.zone).date()


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
    # A check-in whose red flag arrived after the red-flag window passed its date: the flag
    # is raised all the same, marked as reported late (the sync result says so).
    reported_late: bool = False


def _digest(content: Mapping[str, Any]) -> str:
    """A record's content, comparable between requests (`applied`)."""
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _applied_row(model: Any, patient: Patient, client_uuid: uuid.UUID) -> Any:
    """The row this record was applied to: its own (first) record's row, or the row it
    changed as an edit of the same slot or day."""
    rows = list(
        model.objects.filter(patient=patient).filter(
            models.Q(client_uuid=client_uuid) | models.Q(applied__has_key=str(client_uuid))
        )[:2]
    )
    own = [row for row in rows if row.client_uuid == client_uuid]
    return (own or rows or [None])[0]


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
    the red-flag sweep re-sends it if the broker was down.

    Dated from the patient's first diagnosis (`check_in_floor`) to their own today. A red
    flag in a check-in dated before the red-flag window (a phone offline for longer) is still
    raised, marked as reported late (`Recorded.reported_late`)."""
    _check_local_date(
        patient,
        local_date,
        now,
        earliest=check_in_floor(patient),
        began="your diagnosis",
        slack=timedelta(0),
    )
    # Exactly the questions this patient is asked (web page and API alike), not any flag
    # of the catalogue: an answer to a question never asked is not a clinical answer.
    asked = [flag.slug for flag in check_in_questions_of(patient)]
    unknown = sorted(set(red_flags) - set(asked))
    if unknown:
        raise DomainError(
            f"Not a question of your check-in: {', '.join(unknown)}.",
            fields={"red_flags": [f"Answer only these: {', '.join(asked)}."]},
        )
    fields = {
        "local_date": local_date,
        "morning_pain_nrs": morning_pain_nrs,
        "stiffness_minutes": stiffness_minutes,
        "red_flags": sorted(set(red_flags)),
        "swelling": swelling,
    }
    digest = _digest(fields)
    existing = _applied_row(CheckIn, patient, client_uuid)
    if existing is not None:
        if existing.applied.get(str(client_uuid)) == digest:
            return Recorded(existing, Outcome.ALREADY_PRESENT)  # sent before (maybe since edited)
        if existing.client_uuid != client_uuid:
            raise _conflict()
        return _replay_or_conflict(existing, fields)
    check_in = (
        CheckIn.objects.select_for_update().filter(patient=patient, local_date=local_date).first()
    )
    outcome = Outcome.UPDATED
    if check_in is None:
        check_in = CheckIn(patient=patient, client_uuid=client_uuid, logged_at=logged_at)
        outcome = Outcome.CREATED
    check_in.applied = {**check_in.applied, str(client_uuid): digest}
    if (raced := _save_or_replay(check_in, fields, logged_at)) is not None:
        return raced
    late = bool(check_in.red_flags) and reported_late(
        today=local_today(patient, now), on=check_in.local_date
    )
    if check_in.red_flags:
        morning = Morning(
            check_in.local_date,
            check_in.morning_pain_nrs,
            check_in.stiffness_minutes,
            tuple(check_in.red_flags),
        )
        evaluate_patient(patient=patient, now=now, late_mornings=(morning,) if late else ())
        # F3: the pause removes the unsent session, ice, heat and questionnaire reminders.
        replan_reminders(patient_ids=[patient.pk], now=now)
    return Recorded(check_in, outcome, reported_late=late)


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
    _check_local_date(
        patient,
        local_date,
        now,
        earliest=programme.started_on,
        began="your programme started",
        slack=timedelta(0),
    )
    if skipped and not skip_reason.strip():
        raise DomainError(
            "Say why the session was skipped.",
            fields={"skip_reason": ["A reason is required when skipping."]},
        )
    summary = {
        "local_date": local_date,
        "slot": slot,
        "status": SessionLog.Status.SKIPPED if skipped else SessionLog.Status.DONE,
        "pain_after_nrs": pain_after_nrs,
        "skip_reason": skip_reason.strip(),
    }
    sent = set() if skipped else {_entry(e.item_key, e) for e in exercises}
    digest = _digest({**summary, "exercises": sorted(sent, key=str)})
    existing = _applied_row(SessionLog, patient, client_uuid)
    if existing is not None:
        if existing.applied.get(str(client_uuid)) == digest:
            return Recorded(existing, Outcome.ALREADY_PRESENT)  # sent before (maybe since edited)
        if existing.client_uuid != client_uuid:
            raise _conflict()
        # A replay must match the exercise entries too, or an edit would be lost silently.
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
    else:  # logging a stored slot again changes it: the same window as PUT, PATCH, DELETE
        check_changeable(patient, log, now, delete=False)
    log.applied = {**log.applied, str(client_uuid): digest}
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
