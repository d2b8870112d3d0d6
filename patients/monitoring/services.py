"""Flags: evaluating a patient, notifying and escalating urgent flags, the daily digest, and
what a therapist does with a flag (acknowledge, resolve, accept a progression)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import QuerySet

from patients.models import (
    Flag,
    Notification,
    Patient,
    Therapist,
)
from patients.models.activity import CheckIn
from patients.monitoring.rules import Morning
from patients.monitoring.selectors import FlagGroup, flag_group, rule_label, suggested_regression
from patients.monitoring.sweep import evaluate_chunk, evaluate_programmes
from patients.notifications.services import mark_flag_notifications_read, notify
from patients.reminders.services import replan_reminders
from programmes.models import Programme, ProgrammeRevision
from programmes.selectors import active_programme, current_phase_items
from programmes.services import MovePhase, adjust_programme
from programmes.vocab import Urgency
from rehab.apps import CLINIC_ADMINS
from rehab.exceptions import DomainError
from rehab.roles import is_therapist_of

log = logging.getLogger(__name__)


def evaluate_patient(
    *, patient: Patient, now: datetime, late_mornings: tuple[Morning, ...] = ()
) -> list[Flag]:
    """Run the monitoring rules for one patient and store each finding as a flag, once per
    rule and episode; returns the flag of each finding. `late_mornings`: check-ins that
    arrived after the red-flag window had passed their date (their red flags are raised,
    marked as reported late).

    The one pipeline (monitoring/sweep.py) with a chunk of one: a finding already stored as an
    open flag updates its evidence; an acknowledged or resolved flag for the same episode is
    left alone. Urgent new flags are notified after commit."""
    programme_id = (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if programme_id is None:
        return []
    late = {programme_id: late_mornings} if late_mornings else None
    chunk = evaluate_chunk(programme_ids=[programme_id], now=now, late_mornings=late)
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
            flag=flag,
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
    notify(admins, kind=Notification.Kind.RED_FLAG_ESCALATION, title=subject, body=body, flag=flag)
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
    mark_flag_notifications_read(flag=flag, user=by, now=now)
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
    mark_flag_notifications_read(flag=flag, user=by, now=now)
    if flag.kind == Flag.Kind.RED_FLAG:
        # The last red flag resolved ends the pause: the paused reminders come back.
        replan_reminders(patient_ids=[flag.patient_id], now=now)
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
    # The next phase may have another number of sessions a day: replace the unsent reminders.
    replan_reminders(patient_ids=[flag.patient_id], now=now)
    return revision


@transaction.atomic
def acknowledge_flag_group(*, flag: Flag, by: Any, now: datetime) -> FlagGroup:
    """Acknowledge `flag` and the open flags shown with it (`flag_group`)."""
    group = flag_group(flag)
    opened = [f for f in group.flags if f.status == Flag.Status.OPEN] or [flag]
    for each in opened:  # the flag itself refuses (not open) when nothing is open
        acknowledge_flag(flag=each, by=by, now=now)
    return group


@transaction.atomic
def resolve_flag_group(*, flag: Flag, by: Any, note: str, now: datetime) -> FlagGroup:
    """Resolve `flag` and the unresolved flags shown with it, with one note."""
    group = flag_group(flag)
    resolve_flag(flag=flag, by=by, note=note, now=now)
    for other in group.flags:
        if other.pk != flag.pk:
            resolve_flag(flag=other, by=by, note=note, now=now)
    return group


def default_step_back_reason(group: FlagGroup) -> str:
    """The reason "Apply suggestion" offers, in the therapist's words to confirm or edit."""
    found = "; ".join(dict.fromkeys(rule_label(f.rule).lower() for f in group.flags))
    return f"Step back suggested by monitoring: {found}."


@transaction.atomic
def apply_regression(*, flag: Flag, by: Any, reason: str, now: datetime) -> list[ProgrammeRevision]:
    """Apply a step-back flag's suggestion (`suggested_regression` of the programme as it is
    now: a phase back, or each exercise swapped for its easier version, one revision each,
    with `reason`), then resolve the flag and those shown with it. All or nothing: a swap the
    programme refuses (a contraindicated easier version needs the override on the programme
    page) changes nothing."""
    _check_flag_owner(flag, by)
    if flag.kind != Flag.Kind.STEP_BACK or flag.status == Flag.Status.RESOLVED:
        raise DomainError("Only an unresolved 'step back' flag has a suggestion to apply.")
    programme = active_programme(flag.patient)
    if programme is None or programme.current_revision is None:
        raise DomainError("There is no active programme.", code="no_programme")
    if flag.programme_id not in (None, programme.pk):
        raise DomainError("This flag is about a programme that has ended.", code="no_programme")
    changes = suggested_regression(programme, current_phase_items(programme)).changes()
    if not changes:
        raise DomainError(
            "No easier version to move to: lower the dose on the programme page instead.",
            code="nothing_to_apply",
        )
    revisions = [
        adjust_programme(programme=programme, changed_by=by, change=change, reason=reason)
        for change in changes
    ]
    done = "; ".join(r.summary for r in revisions)
    note = f"Applied the suggestion: {done}. Reason: {reason.strip()}"
    resolve_flag_group(flag=flag, by=by, note=note, now=now)
    # The easier phase or exercises may have other session counts: replace unsent reminders.
    replan_reminders(patient_ids=[flag.patient_id], now=now)
    return revisions


def _check_flag_owner(flag: Flag, user: Any) -> None:
    if not is_therapist_of(user, flag.patient):
        raise DomainError(
            "Only the patient's therapist can act on this flag.", code="permission_denied"
        )


def sweep_red_flags(*, now: datetime) -> None:
    """Evaluate the patients whose check-ins of the last two days carry red flags, and notify
    every urgent flag not yet notified (or whose sender died mid-send)."""
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
