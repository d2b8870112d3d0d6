"""Turning a patient's calendar link on, making a new one, turning it off, and recording each
read of it. The link's secret is returned once, when made, and never stored: only its SHA-256
(CalendarFeed), so a leaked database holds no working link."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction

from patients.calendar.selectors import secret_sha256
from patients.models import CalendarFeed, Patient
from rehab.audit import log_access

SECRET_BYTES = 32  # 256 random bits, URL-safe base64: 43 characters


@transaction.atomic
def make_calendar_link(*, patient: Patient) -> str:
    """Turn the link on, or replace it: the old secret stops working at once. Returns the new
    secret (shown to the patient now, and never again)."""
    # Lock the patient row: two requests at once make one link after the other, not a clash.
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()
    CalendarFeed.objects.filter(patient=patient).delete()
    secret = secrets.token_urlsafe(SECRET_BYTES)
    CalendarFeed.objects.create(patient=patient, secret_sha256=secret_sha256(secret))
    return secret


def revoke_calendar_link(*, patient: Patient) -> bool:
    """Turn the link off (its address answers 404 from now on). False if it was off."""
    deleted, _ = CalendarFeed.objects.filter(patient=patient).delete()
    return bool(deleted)


def record_calendar_read(*, feed: CalendarFeed, now: datetime) -> None:
    """A calendar app read the feed: note when (shown to the patient), and write an audit
    entry with the patient as the actor (the address is what every audit entry stores)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    log_access(feed.patient, what="calendar feed", actor=feed.patient.user)
