"""Writes for the patients app."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from patients.models import (
    CheckIn,
    Diagnosis,
    ExerciseLog,
    Flag,
    Notification,
    Patient,
    QuestionnaireResponse,
    Reminder,
    SessionLog,
    Therapist,
)
from patients.notify import notify
from patients.questionnaires import score
from patients.selectors import active_programme, local_today, pause_for
from patients.sweep import evaluate_chunk
from programmes.models import Condition, Programme, ProgrammeItem, ProgrammeRevision
from programmes.planner import (
    Intake,
    PlanResult,
    Referral,
    intake_to_dict,
    plan,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from programmes.services import MovePhase, adjust_programme, prescribe_programme
from programmes.vocab import Urgency
from rehab.apps import CLINIC_ADMINS
from rehab.exceptions import DomainError
from rehab.roles import is_therapist_of

log = logging.getLogger(__name__)


def _validated(obj: Any, exclude: list[str] | None = None, *, unique: bool = True) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=unique)
    except ValidationError as error:
        raise DomainError(
            "Please correct the highlighted fields.", fields=error.message_dict
        ) from None


@transaction.atomic
def create_therapist(
    *, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> Therapist:
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    user.set_password(password)
    _validated(user)
    user.save()
    therapist = Therapist(user=user)
    therapist.save()
    return therapist


def password_problems(password: str, *, user: Any) -> list[str]:
    """The one password policy (settings.AUTH_PASSWORD_VALIDATORS: length, not only numbers,
    not common, not like the username or name), for the web form and the API alike."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return list(error.messages)
    return []


@transaction.atomic
def create_patient(
    *,
    therapist: Therapist,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    time_zone: str = "Europe/London",
    date_of_birth: date | None = None,
) -> Patient:
    """A patient account on `therapist`'s caseload. No password → the account cannot log in
    until one is set (e.g. through an invitation link)."""
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    if date_of_birth is not None and not (
        EARLIEST_BIRTH <= date_of_birth <= timezone.now().date() + DATE_SLACK
    ):
        raise DomainError(
            "Please correct the date of birth.",
            fields={"date_of_birth": [f"Use a date from {EARLIEST_BIRTH} to today."]},
        )
    if password:
        problems = password_problems(password, user=user)
        if problems:
            raise DomainError("Choose a stronger password.", fields={"password": problems})
        user.set_password(password)
    else:
        user.set_unusable_password()
    _validated(user)
    user.save()
    patient = Patient(
        user=user, therapist=therapist, time_zone=time_zone, date_of_birth=date_of_birth
    )
    _validated(patient)
    patient.save()
    return patient


@transaction.atomic
def record_diagnosis(
    *, patient: Patient, therapist: Therapist, intake: Intake, made_on: date, notes: str = ""
) -> Diagnosis:
    """Store a therapist's diagnosis with the intake exactly as the planner will read it."""
    if patient.therapist_id != therapist.pk:
        raise DomainError(
            "Only the patient's own therapist can record a diagnosis.", code="permission_denied"
        )
    if intake.side is None:
        raise DomainError(
            "Say which side is affected.", fields={"side": ["Choose left, right or both."]}
        )
    validate_intake(intake, catalogue_snapshot())
    diagnosis = Diagnosis(
        patient=patient,
        therapist=therapist,
        condition=Condition.objects.get(slug=intake.condition),
        side=intake.side,
        intake=intake_to_dict(intake),
        made_on=made_on,
        notes=notes,
    )
    _validated(diagnosis)
    diagnosis.save()
    return diagnosis


# --- What patients log --------------------------------------------------------------------

# Which dates a record may carry (web pages and the API both come here). A session, check-in
# or questionnaire is dated on a day the patient has reached in their own time zone, plus
# DATE_SLACK for a phone a little ahead across a zone edge; a date in the past is accepted
# back to EARLIEST_DATE, however late it arrives (an offline phone keeps what it logged on the
# day). No tighter floor such as the programme's start: existing clients and fixtures backfill
# history before it, and a floor tied to today's date would refuse them as time passes.
DATE_SLACK = timedelta(days=1)
# The floor of every date the clinic records (as for device clocks, serializers.py).
EARLIEST_DATE = date(2000, 1, 1)
EARLIEST_BIRTH = date(1900, 1, 1)
# How far ahead a programme may be scheduled to start; later means reassess first. These
# date limits guard input (typos, 9999-12-31); they are not clinical timeframes, which live in
# the catalogue with their sources.
MAX_START_AHEAD = timedelta(days=90)


def _check_local_date(patient: Patient, local_date: date, now: datetime | None = None) -> None:
    latest = local_today(patient, now or timezone.now()) + DATE_SLACK
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


@dataclass(frozen=True)
class Recorded:
    """The stored row and what happened: created, updated, or already present (a replay)."""

    obj: Any
    outcome: str


def _replay_or_conflict(existing: Any, fields: Mapping[str, Any]) -> Recorded:
    if all(getattr(existing, name) == value for name, value in fields.items()):
        return Recorded(existing, "already_present")
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
    _validated(obj, unique=False)
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
    now: datetime | None = None,
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
    outcome = "updated"
    if check_in is None:
        check_in = CheckIn(patient=patient, client_uuid=client_uuid, logged_at=logged_at)
        outcome = "created"
    if (raced := _save_or_replay(check_in, fields, logged_at)) is not None:
        return raced
    if check_in.red_flags:
        evaluate_patient(patient=patient, now=now or timezone.now())
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
    _check_local_date(patient, local_date)
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
    outcome = "updated"
    if log is None:
        log = SessionLog(patient=patient, programme=programme, client_uuid=client_uuid)
        outcome = "created"
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
        _validated(row, exclude=["session"])
        rows.append(row)
    ExerciseLog.objects.bulk_create(rows)
    return Recorded(log, outcome)


# --- Flags --------------------------------------------------------------------------------


def evaluate_patient(*, patient: Patient, now: datetime) -> list[Flag]:
    """Run the monitoring rules for one patient and store each finding as a flag, once per
    rule and episode; returns the flag of each finding.

    The one pipeline (patients/sweep.py) with a chunk of one: a finding already stored as an
    open flag updates its evidence; an acknowledged or resolved flag for the same episode is
    left alone. Urgent new flags are notified after commit."""
    programme_id = (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if programme_id is None:
        return []
    chunk = evaluate_chunk(programme_ids=[programme_id], now=now)
    return list(chunk.flags.get(programme_id, []))


# A claim older than this is taken to belong to a worker that died mid-send.
NOTIFY_CLAIM_TIMEOUT = timedelta(minutes=5)


def notify_flag(*, flag: Flag, now: datetime) -> bool:
    """E-mail the therapist about an urgent flag and leave them an in-app notification.

    At-least-once: the row is claimed, the e-mail sent, then marked notified. A worker that
    dies between claim and mark leaves a stale claim, which the sweep re-sends after
    NOTIFY_CLAIM_TIMEOUT — for a red flag a rare duplicate e-mail beats a lost one."""
    claimed = (
        Flag.objects.filter(pk=flag.pk, notified_at__isnull=True)
        .filter(
            models.Q(notify_claimed_at__isnull=True)
            | models.Q(notify_claimed_at__lt=now - NOTIFY_CLAIM_TIMEOUT)
        )
        .update(notify_claimed_at=now)
    )
    if claimed != 1:
        return False
    flag.refresh_from_db()
    therapist_user = flag.patient.therapist.user
    subject = f"{flag_subject_prefix(flag)}: {flag.patient} reported a red flag"
    body = (
        f"{flag.message}\n\nSuggested action: {flag.suggestion}\n"
        f"Sources: {', '.join(flag.sources)}\n"
    )
    with transaction.atomic():
        notify(
            [therapist_user],
            kind=Notification.Kind.RED_FLAG,
            title=subject,
            body=flag.message,
            email_body=body,
        )
        Flag.objects.filter(pk=flag.pk).update(notified_at=now)
    return True


# How soon, by the red flag's catalogue urgency, for the clinician's subject line (F13).
URGENCY_SUBJECT = {
    Urgency.EMERGENCY: "Emergency",
    Urgency.URGENT: "Same day",
    Urgency.SOON: "Within days",
    Urgency.ROUTINE: "Routine",
}


def flag_subject_prefix(flag: Flag) -> str:
    """ "Emergency" / "Same day" / "Within days" / "Routine" from the urgency the red flag was
    raised with; "Urgent" for any other urgent flag."""
    urgency = flag.evidence.get("urgency") if flag.kind == Flag.Kind.RED_FLAG else None
    if urgency in Urgency.values:
        return URGENCY_SUBJECT[Urgency(urgency)]
    return "Urgent"


# Red flags whose catalogue urgency is escalated when nobody acknowledges them in time
# (requirement 5): same day and emergency. A "within days" or routine flag waits for the
# therapist and the daily digest.
ESCALATED_URGENCIES = (Urgency.URGENT.value, Urgency.EMERGENCY.value)


def clinic_admins() -> QuerySet[Any]:
    """Active staff users in the "Clinic admins" group (rehab/apps.py makes the group)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=CLINIC_ADMINS)
        .distinct()
        .order_by("pk")
    )


def escalate_unacknowledged_flags(*, now: datetime) -> int:
    """Escalate to the clinic admins every open same-day or emergency red flag raised at least
    REHAB_ESCALATE_AFTER_MINUTES before `now` and not escalated yet; returns how many.

    Each flag is claimed with a compare-and-set on `escalated_at` inside the transaction that
    writes the notifications and sends the e-mails: a second worker's update waits for that
    row and then matches nothing, so two workers never send twice; a failure before commit
    leaves the flag unclaimed for the next run (a rare repeat beats a lost escalation).
    Acknowledging or resolving the flag in time stops it."""
    cutoff = now - timedelta(minutes=settings.REHAB_ESCALATE_AFTER_MINUTES)
    due = Flag.objects.filter(
        kind=Flag.Kind.RED_FLAG,
        status=Flag.Status.OPEN,
        escalated_at__isnull=True,
        created_at__lte=cutoff,
        evidence__urgency__in=ESCALATED_URGENCIES,
    )
    escalated = 0
    for flag_id in list(due.values_list("pk", flat=True)):
        if _escalate_flag(flag_id, now=now, cutoff=cutoff):
            escalated += 1
    return escalated


@transaction.atomic
def _escalate_flag(flag_id: Any, *, now: datetime, cutoff: datetime) -> bool:
    claimed = Flag.objects.filter(
        pk=flag_id, status=Flag.Status.OPEN, escalated_at__isnull=True, created_at__lte=cutoff
    ).update(escalated_at=now)
    if claimed != 1:
        return False  # acknowledged, resolved or escalated by another worker meanwhile
    flag = Flag.objects.select_related("patient__therapist__user").get(pk=flag_id)
    admins = list(clinic_admins())
    if not admins:
        log.warning("red flag %s is unacknowledged but there is no clinic admin to tell", flag_id)
        return True
    minutes = settings.REHAB_ESCALATE_AFTER_MINUTES
    # Names the patient as the therapist's own flag e-mail does (notify_flag), no more.
    subject = (
        f"{flag_subject_prefix(flag)} red flag not acknowledged: {flag.patient} "
        f"(therapist {flag.patient.therapist})"
    )
    body = (
        f"{flag.message}\n\nRaised at {flag.created_at:%H:%M UTC on %d %b %Y} and not "
        f"acknowledged by the patient's therapist, {flag.patient.therapist}, within {minutes} "
        f"minutes. Please make sure someone contacts the patient.\n\n"
        f"Suggested action: {flag.suggestion}\n"
    )
    notify(admins, kind=Notification.Kind.RED_FLAG_ESCALATION, title=subject, body=body)
    return True


def send_flag_digest(*, therapist: Therapist, now: datetime) -> int:
    """E-mail a therapist one digest of the flags raised since their last digest.

    The flags are marked in the same transaction as the e-mail, so a second run the same day
    sends nothing; returns how many flags the digest listed."""
    with transaction.atomic():
        flags = list(
            Flag.objects.select_for_update(of=("self",))
            .filter(patient__therapist=therapist, digested_at__isnull=True)
            .select_related("patient__user")
            .order_by("-severity", "created_at")
        )
        if not flags:
            return 0
        lines = [
            f"- [{flag.get_kind_display()}] {flag.patient}: {flag.message} "
            f"({', '.join(flag.sources)})"
            for flag in flags
        ]
        subject = f"{len(flags)} new flag(s) on your caseload"
        notify(
            [therapist.user],
            kind=Notification.Kind.FLAG_DIGEST,
            title=subject,
            body="\n".join(lines),
        )
        Flag.objects.filter(pk__in=[f.pk for f in flags]).update(digested_at=now)
    return len(flags)


@transaction.atomic
def acknowledge_flag(*, flag: Flag, by: Any, now: datetime) -> Flag:
    _check_flag_owner(flag, by)
    if flag.status != Flag.Status.OPEN:
        raise DomainError("Only an open flag can be acknowledged.", code="flag_not_open")
    flag.status = Flag.Status.ACKNOWLEDGED
    flag.acknowledged_by, flag.acknowledged_at = by, now
    flag.save()
    return flag


@transaction.atomic
def resolve_flag(*, flag: Flag, by: Any, note: str, now: datetime) -> Flag:
    _check_flag_owner(flag, by)
    if flag.status == Flag.Status.RESOLVED:
        raise DomainError("This flag is already resolved.", code="flag_resolved")
    if not note.strip():
        raise DomainError(
            "Add a note saying how it was resolved.", fields={"note": ["A note is required."]}
        )
    flag.status = Flag.Status.RESOLVED
    flag.resolved_by, flag.resolved_at, flag.resolution_note = by, now, note.strip()
    flag.save()
    return flag


@transaction.atomic
def accept_progression(*, flag: Flag, by: Any, now: datetime) -> ProgrammeRevision:
    """Accept a 'ready to progress' flag: advance to the next phase and resolve the flag."""
    _check_flag_owner(flag, by)
    if flag.kind != Flag.Kind.READY_TO_PROGRESS or flag.status == Flag.Status.RESOLVED:
        raise DomainError("Only an unresolved 'ready to progress' flag can be accepted.")
    programme = active_programme(flag.patient)
    if programme is None or programme.current_revision is None:
        raise DomainError("There is no active programme.", code="no_programme")
    phase = programme.current_revision.current_phase
    revision = adjust_programme(
        programme=programme,
        changed_by=by,
        change=MovePhase(to_phase=phase + 1),
        reason=f"Accepted 'ready to progress': {flag.message}",
    )
    resolve_flag(flag=flag, by=by, note=f"Progressed to phase {phase + 1}.", now=now)
    return revision


def _check_flag_owner(flag: Flag, user: Any) -> None:
    if not is_therapist_of(user, flag.patient):
        raise DomainError(
            "Only the patient's therapist can act on this flag.", code="permission_denied"
        )


@transaction.atomic
def record_questionnaire(
    *,
    patient: Patient,
    client_uuid: uuid.UUID,
    questionnaire: str,
    local_date: date,
    answers: Mapping[str, object],
    logged_at: datetime,
) -> Recorded:
    """Score and store a questionnaire response; idempotent on `client_uuid`."""
    _check_local_date(patient, local_date)
    result = score(questionnaire, answers)
    fields = {"questionnaire": questionnaire, "local_date": local_date, "answers": dict(answers)}
    existing = QuestionnaireResponse.objects.filter(
        patient=patient, client_uuid=client_uuid
    ).first()
    if existing is not None:
        return _replay_or_conflict(existing, fields)
    response = QuestionnaireResponse(
        patient=patient,
        client_uuid=client_uuid,
        score=result.total,
        subscales=dict(result.subscales),
        logged_at=logged_at,
        **fields,
    )
    if (raced := _save_or_replay(response, fields)) is not None:
        return raced
    return Recorded(response, "created")


# --- Prescribing from an intake -----------------------------------------------------------


def preview_plan(*, intake: Intake) -> PlanResult:
    """What the planner would prescribe (or why it refers), without storing anything."""
    catalogue = catalogue_snapshot()
    validate_intake(intake, catalogue)
    return plan(intake, catalogue)


@transaction.atomic
def start_programme(
    *,
    patient: Patient,
    therapist: Therapist,
    intake: Intake,
    made_on: date,
    started_on: date,
    notes: str = "",
) -> Programme:
    """Record the diagnosis and prescribe the planner's programme, in one transaction.

    A referral is never stored as a programme: it is refused with the planner's reasons."""
    today = local_today(patient, timezone.now())
    if not EARLIEST_DATE <= made_on <= today + DATE_SLACK:
        raise DomainError(
            "Please correct the diagnosis date.",
            fields={"made_on": [f"Use a date from {EARLIEST_DATE} to today."]},
        )
    if not EARLIEST_DATE <= started_on <= today + MAX_START_AHEAD:
        raise DomainError(
            "Please correct the start date.",
            fields={
                "started_on": [
                    f"Use a date from {EARLIEST_DATE} to {MAX_START_AHEAD.days} days from today."
                ]
            },
        )
    result = preview_plan(intake=intake)
    if isinstance(result, Referral):
        raise DomainError(
            "The planner refers this patient instead of prescribing a home programme.",
            code="referral",
            fields={"condition": [reason.message for reason in result.reasons]},
        )
    diagnosis = record_diagnosis(
        patient=patient, therapist=therapist, intake=intake, made_on=made_on, notes=notes
    )
    return prescribe_programme(
        diagnosis=diagnosis, plan=result, prescribed_by=therapist.user, started_on=started_on
    )


@transaction.atomic
def end_programme(*, programme: Programme, by: Any, now: datetime, reason: str = "") -> Programme:
    """Discharge or stop: the programme stays on record, ended (with the therapist's reason,
    if given), and reminders stop."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if not is_therapist_of(by, programme.patient):
        raise DomainError(
            "Only the patient's therapist can end this programme.", code="permission_denied"
        )
    if programme.status != Programme.Status.ACTIVE:
        raise DomainError("This programme has already ended.", code="programme_ended")
    programme.status = Programme.Status.ENDED
    programme.ended_reason = reason.strip()
    programme.save(update_fields=["status", "ended_reason", "updated_at"])
    # Reminders belong to the programme's schedule: those already planned go with it.
    Reminder.objects.filter(patient=programme.patient, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SKIPPED, updated_at=now
    )
    return programme


# --- Preferences, notifications, invitations ---------------------------------------------


@transaction.atomic
def update_reminder_preferences(
    *,
    patient: Patient,
    session_times: list[str] | None = None,
    time_zone: str | None = None,
    email_reminders: bool | None = None,
) -> Patient:
    """Change what the patient chose; times are 'HH:MM' in their own zone, sorted, unique."""
    if session_times is not None:
        parsed = []
        for value in session_times:
            try:
                parsed.append(datetime.strptime(value.strip(), "%H:%M").strftime("%H:%M"))
            except (ValueError, AttributeError):
                raise DomainError(
                    "Please correct the session times.",
                    fields={"session_times": [f"{value!r} is not a time like 08:00."]},
                ) from None
        if not 1 <= len(set(parsed)) <= MAX_SESSION_TIMES:
            raise DomainError(
                "Please correct the session times.",
                fields={"session_times": [f"Give between 1 and {MAX_SESSION_TIMES} times."]},
            )
        patient.session_times = sorted(set(parsed))
    if time_zone is not None:
        patient.time_zone = time_zone
    if email_reminders is not None:
        patient.email_reminders = email_reminders
    _validated(patient)
    patient.save()
    return patient


# One per session of the most frequent daily dose in the catalogue (times_per_day is 1–6).
MAX_SESSION_TIMES = 6


def mark_notifications_read(*, user: Any, ids: list[uuid.UUID] | None, now: datetime) -> int:
    """Mark the user's own notifications read (all unread when `ids` is None); returns how
    many changed. Another user's ids are ignored, never an error that confirms them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=now)


def send_invitation(*, patient: Patient, set_password_url: str) -> None:
    """E-mail the patient a one-time link to choose their password.

    `set_password_url` is built by the caller from Django's password-reset token for this
    user, so the link stops working once a password is set."""
    user = patient.user
    if not user.email:
        raise DomainError(
            "The patient has no e-mail address for the invitation.",
            fields={"email": ["Add an e-mail address to send an invitation."]},
        )
    send_mail(
        "Your home exercise programme",
        f"Your therapist has set up an account for you.\n\n"
        f"Choose your password here: {set_password_url}\n\n"
        f"Your username is {user.get_username()}.",
        None,
        [user.email],
    )
