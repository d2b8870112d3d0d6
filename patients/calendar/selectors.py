"""Reading a calendar link: which patient a secret opens, and what their feed holds.

The feed's events come from the reminders' own rule (patients/reminders/rules.py
`reminders_for`, over the facts `reminder_facts` reads), so the calendar and the planned
reminders agree day by day: quiet hours, the daily cap and a red-flag pause included."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urljoin

from django.urls import reverse

from patients.activity.selectors import swelling_reported_of
from patients.calendar.ical import FeedEvent
from patients.models import CalendarFeed, Patient
from patients.monitoring.selectors import paused_patient_ids
from patients.reminders.rules import reminders_for
from patients.reminders.services import reminder_facts
from patients.schedule import items_in_session
from programmes.models import IceHeatSlot, ProgrammeRevision
from programmes.selectors import active_programme, current_phase_items
from programmes.text import describe_dose

# How far ahead the feed reaches: today and the next 13 days, in the patient's own dates.
FEED_DAYS = 14


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calendar_feed_of_secret(secret: str) -> CalendarFeed | None:
    """The link a secret opens, or None (unknown, revoked, or the account no longer works).
    Looked up by its hash (the secret itself is never stored), then compared in constant
    time."""
    digest = secret_sha256(secret)
    feed = CalendarFeed.objects.filter(secret_sha256=digest).select_related("patient__user").first()
    if feed is None or not hmac.compare_digest(feed.secret_sha256, digest):
        return None
    if not feed.patient.user.is_active or feed.patient.anonymised_at is not None:
        return None
    return feed


def calendar_feed_of(patient: Patient) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(patient=patient).first()


@dataclass(frozen=True)
class Feed:
    events: list[FeedEvent]
    # Rises with every revision of any of the patient's programmes (revisions are kept, so
    # it never goes back), and so with every change of dose, exercise or phase.
    sequence: int


# Our own words: what to do and when, never why (no condition, no symptom, no score).
SUMMARY = {
    "session": "Exercises",
    "check_in": "Morning check-in",
    "questionnaire": "Weekly questionnaire",
    "ice": "Ice, up to {minutes} minutes",
    "heat": "Heat, up to {minutes} minutes",
}
DESCRIPTION = {
    "check_in": "A one-minute check-in in the app.",
    "questionnaire": "Your weekly questionnaire is due in the app.",
    "ice": "With a towel between the ice and your skin.",
    "heat": "Only if there is no swelling.",
}
PAGE = {
    "session": "today",
    "check_in": "check_in",
    "questionnaire": "questionnaires",
    "ice": "today",
    "heat": "today",
}


def event_uid(patient: Patient, day: date, slot: str) -> str:
    """Stable across regenerated links and programme changes (so a calendar updates an event
    instead of adding a copy), and names nobody: a hash of the patient's id, date and slot."""
    digest = hashlib.sha256(f"{patient.pk}:{day.isoformat()}:{slot}".encode()).hexdigest()
    return f"{digest[:32]}@rehab-planner"


def calendar_feed(patient: Patient, *, today: date, site: str) -> Feed:
    """The patient's reminders for `today` and the FEED_DAYS - 1 days after it, as calendar
    events (`site`: the absolute address of the site, for each event's link). None without an
    active programme; while a red flag is unresolved, the check-ins only (F3); no heat while
    the latest check-in leaves swelling possible, as delivery skips it."""
    sequence = ProgrammeRevision.objects.filter(programme__patient=patient).count()
    programme = active_programme(patient)
    if programme is None:
        return Feed(events=[], sequence=sequence)
    facts = reminder_facts(patient, programme)
    paused = patient.pk in paused_patient_ids([patient.pk])
    # Future days read the same latest check-in as today.
    swollen = (patient.pk, today) in swelling_reported_of([(patient.pk, today)])
    items = current_phase_items(programme)
    minutes = dict(
        IceHeatSlot.objects.filter(revision=programme.current_revision).values_list(
            "modality", "max_minutes"
        )
    )
    events = []
    for offset in range(FEED_DAYS):
        day = today + timedelta(days=offset)
        for reminder in reminders_for(facts, day, paused=paused):
            if reminder.kind == "heat" and swollen:
                continue
            if reminder.kind == "session":
                number = int(reminder.slot.split(":")[1])
                summary = f"{SUMMARY['session']} (session {number})"
                description = "\n".join(
                    f"{item.exercise.name}: {describe_dose(item)}"
                    for item in items_in_session(items, day, programme.started_on, number)
                )
            else:
                summary = SUMMARY[reminder.kind].format(minutes=minutes.get(reminder.kind))
                description = DESCRIPTION[reminder.kind]
            events.append(
                FeedEvent(
                    uid=event_uid(patient, day, reminder.slot),
                    summary=summary,
                    description=description,
                    starts_at=reminder.due_at.astimezone(patient.zone),
                    url=urljoin(site, reverse(PAGE[reminder.kind])),
                )
            )
    return Feed(events=events, sequence=sequence)
