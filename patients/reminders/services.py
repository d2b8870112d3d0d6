"""Reminders: plan what is due from the database, deliver each exactly once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from patients.activity.selectors import swelling_reported
from patients.models import (
    CheckIn,
    Notification,
    Patient,
    Reminder,
    SessionLog,
)
from patients.monitoring.selectors import injury_date, paused_patient_ids
from patients.notifications.services import notify
from patients.questionnaires.selectors import last_questionnaire_on
from patients.reminders.rules import ReminderFacts, reminders_for
from patients.schedule import WEEK, local_today, questionnaire_due
from programmes.models import IceHeatSlot, Programme
from programmes.selectors import active_programme, current_phase_items
from rehab.exceptions import DomainError, validate_model

# After an outage, reminders due within this window are still sent; older ones are not (a
# 6 a.m. "time for your session" at 2 p.m. helps nobody).
CATCH_UP = timedelta(hours=3)
MAX_ATTEMPTS = 5
# What a red flag pauses until a clinician resolves it (F3): the exercises, ice and heat, and
# the weekly questionnaire (it asks about hopping and heel raises). The check-in goes on.
PAUSED_KINDS = frozenset({"session", "ice", "heat", "questionnaire"})

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


def schedule_due_reminders(*, now: datetime) -> list[str]:
    """Create a row for every reminder now due (idempotent) and return the ids of pending
    reminders to deliver, including ones whose earlier message was lost."""
    programmes = Programme.objects.filter(status=Programme.Status.ACTIVE).select_related(
        "patient", "current_revision", "diagnosis"
    )
    paused = paused_patient_ids()
    for programme in programmes:
        patient = programme.patient
        facts = reminder_facts(patient, programme)
        today = local_today(patient, now)
        for day in (today - timedelta(days=1), today):
            swollen = any(kind == "heat" for kind, *_ in facts.ice_heat) and swelling_reported(
                patient, day
            )
            for planned in reminders_for(facts, day):
                if patient.pk in paused and planned.kind in PAUSED_KINDS:
                    continue
                if swollen and planned.kind == "heat":
                    continue  # heat only while there is no swelling (SEED-002)
                if now - CATCH_UP < planned.due_at <= now:
                    Reminder.objects.get_or_create(
                        patient=patient,
                        local_date=day,
                        slot=planned.slot,
                        defaults={"kind": planned.kind, "due_at": planned.due_at},
                    )
    pending = Reminder.objects.filter(
        status=Reminder.Status.PENDING, due_at__gt=now - CATCH_UP, attempts__lt=MAX_ATTEMPTS
    )
    return [str(pk) for pk in pending.values_list("pk", flat=True)]


def already_done(reminder: Reminder) -> bool:
    patient = reminder.patient
    if reminder.kind == "session":
        slot = int(reminder.slot.split(":")[1])
        return SessionLog.objects.filter(
            patient=patient, local_date=reminder.local_date, slot=slot
        ).exists()
    if reminder.kind == "check_in":
        return CheckIn.objects.filter(patient=patient, local_date=reminder.local_date).exists()
    if reminder.kind == "questionnaire":
        programme = active_programme(patient)
        if programme is None:
            return True  # nothing to answer for
        last_on = last_questionnaire_on(
            patient, programme.condition.questionnaire, on_or_before=reminder.local_date
        )
        return not questionnaire_due(last_on=last_on, today=reminder.local_date)
    return False  # ice and heat are not logged


def not_wanted(reminder: Reminder) -> bool:
    """Already done, paused by an unresolved red flag, or heat while the latest check-in
    reports swelling (a reminder planned before the patient said so)."""
    if already_done(reminder):
        return True
    if reminder.kind == "heat" and swelling_reported(reminder.patient, reminder.local_date):
        return True
    return reminder.kind in PAUSED_KINDS and bool(paused_patient_ids([reminder.patient_id]))


def deliver_reminder(*, reminder_id: str, now: datetime) -> bool:
    """Send one pending reminder: in-app notification and (if wanted) e-mail.

    The notification and the status change commit together, so a worker killed mid-send
    leaves the reminder pending and its redelivery sends exactly one notification."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("patient__user")
            .filter(pk=reminder_id, status=Reminder.Status.PENDING)
            .first()
        )
        if reminder is None:
            return False
        reminder.attempts += 1
        if not_wanted(reminder):
            reminder.status = Reminder.Status.SKIPPED
            reminder.save(update_fields=["attempts", "status", "updated_at"])
            return False
        title, body = TEXT[reminder.kind]
        body = body.format(slot=reminder.slot.split(":")[-1], minutes=_max_minutes(reminder))
        notify(
            [reminder.patient.user],
            kind=Notification.Kind(f"reminder:{reminder.kind}"),
            title=title,
            body=body,
            email=reminder.patient.email_reminders,
        )
        reminder.status, reminder.sent_at = Reminder.Status.SENT, now
        reminder.save(update_fields=["attempts", "status", "sent_at", "updated_at"])
    return True


def _max_minutes(reminder: Reminder) -> int | None:
    """The prescribed limit for an ice/heat reminder (catalogue data, SEED-002)."""
    if reminder.kind not in {"ice", "heat"}:
        return None
    slot = (
        IceHeatSlot.objects.filter(
            revision__programme__patient=reminder.patient,
            revision__programme__status=Programme.Status.ACTIVE,
            modality=reminder.kind,
        )
        .order_by("-revision__number")
        .first()
    )
    return slot.max_minutes if slot else None


def send_nudges(*, now: datetime) -> int:
    """One follow-up nudge for a session reminder still not logged after the set delay."""
    delay = timedelta(minutes=settings.REHAB_NUDGE_AFTER_MINUTES)
    sent = 0
    candidates = Reminder.objects.filter(
        kind="session",
        status=Reminder.Status.SENT,
        nudged_at__isnull=True,
        sent_at__lte=now - delay,
        sent_at__gt=now - delay - CATCH_UP,
    ).select_related("patient__user")
    for reminder in candidates:
        with transaction.atomic():
            if not_wanted(reminder):
                Reminder.objects.filter(pk=reminder.pk).update(nudged_at=now)
                continue
            claimed = Reminder.objects.filter(pk=reminder.pk, nudged_at__isnull=True).update(
                nudged_at=now
            )
            if claimed == 1:
                notify(
                    [reminder.patient.user],
                    kind=Notification.Kind.REMINDER_NUDGE,
                    title="Still time for today's exercises",
                    body="Nothing logged yet for this session. Log it or mark it skipped.",
                    email=False,
                )
                sent += 1
    return sent


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
    validate_model(patient)
    patient.save()
    return patient


# One per session of the most frequent daily dose in the catalogue (times_per_day is 1–6).
MAX_SESSION_TIMES = 6
