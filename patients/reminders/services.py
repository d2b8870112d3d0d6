"""Reminders: plan what is due from the database, deliver each exactly once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from patients.activity.selectors import swelling_reported_of
from patients.models import (
    CheckIn,
    Notification,
    Patient,
    Reminder,
    ReminderPlan,
    SessionLog,
)
from patients.monitoring.selectors import injury_date, paused_patient_ids
from patients.notifications.devices import wants_mobile_push
from patients.notifications.mobile import enabled_platforms, send_mobile_batch
from patients.notifications.push import send_push_batch, wants_push
from patients.notifications.services import (
    EMAILS,
    Held,
    claim_emails,
    email_address,
    send_claimed_emails,
)
from patients.questionnaires.selectors import last_questionnaire_on, last_questionnaires_on
from patients.reminders.rules import PAUSED_KINDS, ReminderFacts, reminders_for, to_utc
from patients.schedule import WEEK, local_today, questionnaire_due
from programmes.models import IceHeatSlot, Programme
from programmes.selectors import current_phase_items
from rehab.exceptions import DomainError, validate_model
from rehab.retention import Pruned, delete_made_before

# Patients planned per transaction by the planner (one chunk task each from the beat).
PLAN_CHUNK = 500
# After an outage, reminders due within this window are still sent; older ones are not (a
# 6 a.m. "time for your session" at 2 p.m. helps nobody).
CATCH_UP = timedelta(hours=3)
MAX_ATTEMPTS = 5
# Reminders delivered per batch (one transaction, one SMTP connection for their e-mails).
BATCH = 250

TEXT = {
    "session": ("Time for your exercises", "Your session {slot} of today's programme is due."),
    "check_in": ("Morning check-in", "How is your ankle this morning? It takes a minute."),
    "questionnaire": ("Weekly questionnaire", "Your weekly progress questionnaire is due."),
    "ice": ("Ice reminder", "Ice: up to {minutes} minutes, with a towel between ice and skin."),
    "heat": ("Heat reminder", "Heat: up to {minutes} minutes, only if there is no swelling."),
}


def reminder_facts(patient: Patient, programme: Programme) -> ReminderFacts:
    items = current_phase_items(programme)
    slots = IceHeatSlot.objects.filter(revision=programme.current_revision)
    return ReminderFacts(
        zone=patient.zone,
        started_on=programme.started_on,
        session_times=tuple(time.fromisoformat(t) for t in patient.session_times) or (time(8),),
        sessions_per_day=max((i.times_per_day or 1 for i in items), default=1),
        training_days_per_week=max((i.days_per_week or WEEK for i in items), default=WEEK),
        ice_heat=tuple(
            (s.modality, tuple(time.fromisoformat(t) for t in s.times), s.from_day, s.to_day)
            for s in slots
        ),
        quiet_start=patient.quiet_start,
        quiet_end=patient.quiet_end,
        daily_cap=patient.daily_reminder_cap,
        injured_on=injury_date(programme),
        last_questionnaire_on=last_questionnaire_on(patient, programme.condition.questionnaire),
    )


def plan_reminders(*, now: datetime, patient_ids: list[Any] | None = None) -> int:
    """Materialise the reminders of every patient whose plan is missing, whose local day has
    rolled over or whose programme revision changed (of `patient_ids`, or of everyone); return
    how many patients were planned. Idempotent: planning twice creates nothing new."""
    due = patients_to_plan(now=now)
    if patient_ids is not None:
        due = due.filter(patient_id__in=patient_ids)
    rolled: list[Any] = []
    changed: list[Any] = []
    for patient_id, revision_id, planned_from in due:
        # Planned from another revision: its unsent reminders go (replaced, not added to).
        (changed if planned_from not in (None, revision_id) else rolled).append(patient_id)
    planned = 0
    for ids, replace in ((rolled, False), (changed, True)):
        for start in range(0, len(ids), PLAN_CHUNK):
            # Asked again per chunk: a run still going when the next one starts (beat every
            # five minutes) leaves it only the chunks not yet done.
            chunk = patients_to_plan(now=now).filter(patient_id__in=ids[start : start + PLAN_CHUNK])
            planned += _plan([pid for pid, *_ in chunk], now=now, replace=replace)
    return planned


def replan_reminders(*, patient_ids: list[Any], now: datetime) -> int:
    """The programme, its phase, a red-flag pause or the patient's preferences changed:
    remove the patients' unsent reminders and plan them again from the facts as they are now
    (rows already sent or skipped stay, and their unique key keeps them from coming back)."""
    return _plan(list(patient_ids), now=now, replace=True)


def patients_to_plan(*, now: datetime) -> QuerySet[Programme, tuple[Any, Any, Any]]:
    """(patient id, current revision id, revision planned from) for every patient with an
    active programme whose reminders need planning: never planned, their last planned day has
    begun, or planned from another revision (an adjustment or a phase change made in
    programmes/, which cannot call back into patients/)."""
    return (
        Programme.objects.filter(status=Programme.Status.ACTIVE)
        .annotate(planned_from=F("patient__reminder_plan__revision_id"))
        .filter(
            Q(patient__reminder_plan__isnull=True)
            | Q(patient__reminder_plan__replan_at__lte=now)
            | ~Q(planned_from=F("current_revision_id"))
        )
        .values_list("patient_id", "current_revision_id", "planned_from")
        .order_by()
    )


def _plan(patient_ids: list[Any], *, now: datetime, replace: bool) -> int:
    """Plan yesterday, today and tomorrow (each patient's own local dates) for these patients.
    Yesterday covers a late reminder still inside the catch-up window after local midnight;
    tomorrow lets the planner run any time during today without a reminder waiting on it."""
    if not patient_ids:
        return 0
    programmes = Programme.objects.filter(
        status=Programme.Status.ACTIVE, patient_id__in=patient_ids
    ).select_related("patient", "current_revision", "diagnosis", "condition")
    paused = paused_patient_ids(patient_ids)
    rows: list[Reminder] = []
    plans: list[ReminderPlan] = []
    planned: set[Any] = set()
    for programme in programmes:
        patient = programme.patient
        facts = reminder_facts(patient, programme)
        today = local_today(patient, now)
        for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
            # F3: only the check-in while a red flag is unresolved.
            for reminder in reminders_for(facts, day, paused=patient.pk in paused):
                rows.append(
                    Reminder(
                        patient=patient,
                        local_date=day,
                        slot=reminder.slot,
                        kind=reminder.kind,
                        due_at=reminder.due_at,
                    )
                )
        tomorrow = today + timedelta(days=1)
        plans.append(
            ReminderPlan(
                patient=patient,
                revision_id=programme.current_revision_id,
                planned_through=tomorrow,
                # Look again when tomorrow begins, to plan the day after it.
                replan_at=to_utc(tomorrow, time(0), patient.zone),
            )
        )
        planned.add(patient.pk)
    with transaction.atomic():
        if replace:
            Reminder.objects.filter(
                patient_id__in=patient_ids, status=Reminder.Status.PENDING
            ).delete()
            # A patient without an active programme any more keeps no plan either.
            ReminderPlan.objects.filter(patient_id__in=set(patient_ids) - planned).delete()
        # The unique key (patient, local date, slot) makes a row already there — sent,
        # skipped, or pending from an earlier plan — win over its copy.
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
        ReminderPlan.objects.bulk_create(
            plans,
            update_conflicts=True,
            unique_fields=["patient"],
            update_fields=["revision_id", "planned_through", "replan_at"],
        )
    return len(plans)


def due_reminders(*, now: datetime) -> QuerySet[Reminder]:
    """The pending reminders due now, including ones whose earlier batch died: a range of the
    partial index of pending reminders (`reminder_pending_due`), whatever the number of
    patients."""
    return Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        due_at__gt=now - CATCH_UP,
        due_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    )


def due_reminder_ids(*, now: datetime) -> list[str]:
    return [str(pk) for pk in due_reminders(now=now).values_list("pk", flat=True)]


def schedule_due_reminders(*, now: datetime) -> list[str]:
    """Plan whatever needs planning, then return the ids of pending reminders to deliver:
    the whole cycle in one process (tests, the shell). The beat runs the two halves apart:
    the planner in chunks (reminder_plan_sweep), the per-minute job only the due query."""
    plan_reminders(now=now)
    return due_reminder_ids(now=now)


@dataclass(frozen=True)
class Delivered:
    sent: int
    skipped: int
    emails: int  # e-mail copies owed (the outbox sends them)
    pushes: int = 0  # web-push copies owed (their outbox too)
    mobile: int = 0  # mobile-app copies owed (a third outbox)
    email_batch: Held | None = None  # the e-mail copies, held for the task sending them


class Due(NamedTuple):
    """What delivering a reminder needs, read as plain values (a batch builds no models)."""

    pk: Any
    patient_id: Any
    local_date: date
    kind: str
    slot: str
    user_id: Any = None
    email: str = ""
    wants_email: bool = False


def deliver_due_reminders(
    *, now: datetime, ids: list[Any] | None = None, limit: int = BATCH
) -> Delivered:
    """Deliver a batch: up to `limit` due reminders (of `ids`, or the earliest due). What is
    still wanted becomes an in-app notification (and an e-mail owed, if the patient wants
    e-mail), the rest is skipped.

    One transaction. The batch is claimed by locking its rows (compare-and-set in the
    database: only rows still pending, and SKIP LOCKED, so a second worker takes the next
    rows, never these); the notifications and the status changes commit together. A worker
    killed mid-batch commits nothing and its locks go with its connection: the rows are due
    again at once. A message delivered twice finds them sent."""
    due = due_reminders(now=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    with transaction.atomic():
        batch = [
            Due(*row)
            for row in due.order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list(
                "pk",
                "patient_id",
                "local_date",
                "kind",
                "slot",
                "patient__user_id",
                "patient__user__email",
                "patient__email_reminders",
            )[:limit]
        ]
        if not batch:
            return Delivered(0, 0, 0)
        unwanted = unwanted_reminders(batch)
        minutes = _max_minutes({r.patient_id for r in batch if r.kind in {"ice", "heat"}})
        pushed_to, apps = _push_channels({r.user_id for r in batch if r.pk not in unwanted})
        notes = []
        for reminder in batch:
            if reminder.pk in unwanted:
                continue
            title, body = TEXT[reminder.kind]
            notes.append(
                Notification(
                    user_id=reminder.user_id,
                    kind=Notification.Kind(f"reminder:{reminder.kind}"),
                    title=title,
                    body=body.format(
                        slot=reminder.slot.split(":")[-1],
                        minutes=minutes.get((reminder.patient_id, reminder.kind)),
                    ),
                    email_to=email_address(reminder.email, wanted=reminder.wants_email),
                    push_wanted=reminder.user_id in pushed_to,
                    mobile_wanted=reminder.user_id in apps,
                )
            )
        email_batch = EMAILS.hold([n for n in notes if n.email_to], now=now)
        Notification.objects.bulk_create(notes)
        done = {"attempts": F("attempts") + 1, "updated_at": now}
        batch_ids = [r.pk for r in batch]
        if unwanted:
            Reminder.objects.filter(pk__in=unwanted).update(status=Reminder.Status.SKIPPED, **done)
        Reminder.objects.filter(pk__in=batch_ids, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENT, sent_at=now, **done
        )
    return Delivered(
        len(notes),
        len(unwanted),
        sum(1 for n in notes if n.email_to),
        sum(1 for n in notes if n.push_wanted),
        sum(1 for n in notes if n.mobile_wanted),
        email_batch,
    )


def _push_channels(user_ids: set[Any]) -> tuple[set[Any], set[Any]]:
    """Of these users, who get a web push and who a mobile-app push: each chose it and has a
    browser or an app to send it to."""
    return wants_push(user_ids), wants_mobile_push(user_ids, enabled_platforms())


def deliver_reminder(*, reminder_id: str, now: datetime) -> bool:
    """Send one reminder now, its e-mail included (a message from before batches, the shell,
    tests): a batch of one."""
    delivered = deliver_due_reminders(now=now, ids=[reminder_id], limit=1)
    if delivered.email_batch:
        send_reminder_emails(now=now, held=delivered.email_batch)
    if delivered.pushes:
        send_reminder_pushes(token=uuid.uuid4(), now=now)
    if delivered.mobile:
        send_reminder_mobile_pushes(token=uuid.uuid4(), now=now)
    return delivered.sent == 1


def send_reminder_emails(*, now: datetime, held: Held | None = None) -> int:
    """Send one batch of e-mail copies over one SMTP connection (outbox): those a delivery
    `held` for this batch, or up to a batch of those owed."""
    if held is None:
        return send_claimed_emails(claim_emails(now=now, since=now - CATCH_UP), now=now)
    with EMAILS.alone(held) as alone:
        if not alone:
            return 0  # the same batch is being sent by another run of its message
        return send_claimed_emails(claim_emails(now=now, since=now - CATCH_UP, held=held), now=now)


def send_reminder_pushes(*, token: uuid.UUID, now: datetime) -> int:
    """Send up to one batch of owed web pushes (outbox); how many devices accepted one."""
    return send_push_batch(token=token, now=now, since=now - CATCH_UP)


def send_reminder_mobile_pushes(*, token: uuid.UUID, now: datetime) -> int:
    """Send up to one batch of owed mobile-app pushes (outbox); how many devices accepted
    one."""
    return send_mobile_batch(token=token, now=now, since=now - CATCH_UP)


def unwanted_reminders(batch: Sequence[Due]) -> set[Any]:
    """The ids of reminders not to send any more: no active programme (ended after the
    planner read it), already done (the session logged, the check-in made, the questionnaire
    not due any more), paused by an unresolved red flag, or heat while the latest check-in
    leaves swelling possible (planned before the patient said so). A few queries per batch,
    not per reminder."""
    patients = {r.patient_id for r in batch}
    # The active programme's questionnaire, per patient with one.
    questionnaire_of = dict(
        Programme.objects.filter(patient_id__in=patients, status=Programme.Status.ACTIVE)
        .order_by()
        .values_list("patient_id", "condition__questionnaire")
    )
    sessions = [r for r in batch if r.kind == "session"]
    done_sessions = (
        set(
            SessionLog.objects.filter(_on_their_days(sessions))
            .order_by()
            .values_list("patient_id", "local_date", "slot")
        )
        if sessions
        else set()
    )
    check_ins = [r for r in batch if r.kind == "check_in"]
    checked_in = (
        set(
            CheckIn.objects.filter(_on_their_days(check_ins))
            .order_by()
            .values_list("patient_id", "local_date")
        )
        if check_ins
        else set()
    )
    last_answered = last_questionnaires_on(
        (r.patient_id, questionnaire_of[r.patient_id], r.local_date)
        for r in batch
        if r.kind == "questionnaire" and r.patient_id in questionnaire_of
    )
    paused = paused_patient_ids(list(patients))
    swollen = swelling_reported_of((r.patient_id, r.local_date) for r in batch if r.kind == "heat")
    unwanted = set()
    for r in batch:
        if (
            r.patient_id not in questionnaire_of
            or (r.kind in PAUSED_KINDS and r.patient_id in paused)
            or (
                r.kind == "session"
                and (r.patient_id, r.local_date, int(r.slot.split(":")[1])) in done_sessions
            )
            or (r.kind == "check_in" and (r.patient_id, r.local_date) in checked_in)
            or (
                r.kind == "questionnaire"
                and not questionnaire_due(
                    last_on=last_answered.get((r.patient_id, r.local_date)), today=r.local_date
                )
            )
            or (r.kind == "heat" and (r.patient_id, r.local_date) in swollen)
        ):
            unwanted.add(r.pk)
    return unwanted


def _on_their_days(reminders: Sequence[Due]) -> Q:
    """Rows of the reminders' patients on the reminders' own local dates: each day with its
    patients, so an index on (patient, local date) finds each pair. Asking for every patient
    on every date of the batch read each patient's whole history and kept one day: at
    100,000 patients the batch's two lookups cost ~70 ms instead of a few (issue 14)."""
    by_day: dict[date, set[Any]] = defaultdict(set)
    for r in reminders:
        by_day[r.local_date].add(r.patient_id)
    return reduce(
        or_, (Q(local_date=day, patient_id__in=ids) for day, ids in sorted(by_day.items()))
    )


def not_wanted(reminder: Reminder) -> bool:
    """One reminder's case of unwanted_reminders (the nudge asks it of each)."""
    due = Due(reminder.pk, reminder.patient_id, reminder.local_date, reminder.kind, reminder.slot)
    return reminder.pk in unwanted_reminders([due])


def _max_minutes(patient_ids: set[Any]) -> dict[tuple[Any, str], int]:
    """The prescribed limit for each patient's ice and heat reminders, from their active
    programme's latest revision (catalogue data, SEED-002)."""
    if not patient_ids:
        return {}
    slots = (
        IceHeatSlot.objects.filter(
            revision__programme__patient_id__in=patient_ids,
            revision__programme__status=Programme.Status.ACTIVE,
        )
        .order_by("revision__number")
        .values_list("revision__programme__patient_id", "modality", "max_minutes")
    )
    # Ordered by revision: the latest revision's limit is the one that stays.
    return {(patient_id, modality): minutes for patient_id, modality, minutes in slots}


def nudges_due(*, now: datetime) -> QuerySet[Reminder]:
    """Session reminders sent at least the set delay ago, still not nudged: bounded by the
    partial index of session reminders not yet looked at for a nudge (`reminder_nudge_owed`),
    whatever the number of patients."""
    delay = timedelta(minutes=settings.REHAB_NUDGE_AFTER_MINUTES)
    return Reminder.objects.filter(
        kind="session",
        status=Reminder.Status.SENT,
        nudged_at__isnull=True,
        sent_at__lte=now - delay,
        sent_at__gt=now - delay - CATCH_UP,
        # Always true (a reminder is sent within CATCH_UP of its due time); it lets the
        # index bound the scan to a window instead of every reminder ever left un-nudged (sent
        # while the nudges were not running).
        due_at__gt=now - delay - 2 * CATCH_UP,
    )


def nudge_batch(*, now: datetime, limit: int = BATCH) -> int:
    """One follow-up nudge for each of up to `limit` session reminders still not logged after
    the set delay, in one transaction: claimed by row locks (SKIP LOCKED, only rows not yet
    nudged), checked all at once (logged since, programme ended or paused), the nudges written
    with one bulk insert and every claimed row marked nudged. Returns how many were sent."""
    with transaction.atomic():
        batch = [
            Due(*row)
            for row in nudges_due(now=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "patient_id", "local_date", "kind", "slot", "patient__user_id")[
                :limit
            ]
        ]
        if not batch:
            return 0
        unwanted = unwanted_reminders(batch)
        pushed_to, apps = _push_channels({r.user_id for r in batch if r.pk not in unwanted})
        notes = [
            Notification(
                user_id=r.user_id,
                kind=Notification.Kind.REMINDER_NUDGE,
                title="Still time for today's exercises",
                body="Nothing logged yet for this session. Log it or mark it skipped.",
                push_wanted=r.user_id in pushed_to,
                mobile_wanted=r.user_id in apps,
            )
            for r in batch
            if r.pk not in unwanted
        ]
        Notification.objects.bulk_create(notes)
        Reminder.objects.filter(pk__in=[r.pk for r in batch], nudged_at__isnull=True).update(
            nudged_at=now
        )
    return len(notes)


def send_nudges(*, now: datetime) -> int:
    """Every nudge due now, batch after batch (tests, the shell); the per-minute job queues
    one `send_nudges_task` per batch instead."""
    sent = 0
    while nudges_due(now=now).exists():
        sent += nudge_batch(now=now)
    return sent


@transaction.atomic
def update_reminder_preferences(
    *,
    patient: Patient,
    session_times: list[str] | None = None,
    time_zone: str | None = None,
    email_reminders: bool | None = None,
    push_reminders: bool | None = None,
    mobile_reminders: bool | None = None,
    now: datetime,
) -> Patient:
    """Change what the patient chose (None: leave as it is); times are 'HH:MM' in their own
    zone, sorted, unique. The channels apply to reminders delivered from now on."""
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
    for channel, chosen in (
        ("email_reminders", email_reminders),
        ("push_reminders", push_reminders),
        ("mobile_reminders", mobile_reminders),
    ):
        if chosen is not None:
            setattr(patient, channel, chosen)
    validate_model(patient)
    patient.save()
    # New times or a new zone move the unsent reminders: replace them.
    replan_reminders(patient_ids=[patient.pk], now=now)
    return patient


# One per session of the most frequent daily dose in the catalogue (times_per_day is 1–6).
MAX_SESSION_TIMES = 6


def prune_reminders(*, now: datetime, budget: timedelta | None = None) -> Pruned:
    """Delete the reminders planned more than REHAB_MESSAGE_RETENTION_DAYS ago, whatever
    became of them: long past their day, the catch-up window and any nudge (the planner
    writes no day before yesterday again, so the one-per-slot key has nothing to keep)."""
    before = now - timedelta(days=settings.REHAB_MESSAGE_RETENTION_DAYS)
    return delete_made_before(Reminder.objects.all(), before=before, now=now, budget=budget)
