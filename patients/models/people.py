"""People: therapists, patients and the diagnoses therapists make."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from programmes.vocab import Side
from rehab.audit import AuditedQuerySet
from rehab.models import PublicModel


@cache
def known_time_zones() -> frozenset[str]:
    """The IANA zone names installed (the web forms offer the same list)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """One of the known names, not any path ZoneInfo would try to open ("Europe", a folder,
    raised IsADirectoryError; a 300-character name OSError: both were 500s)."""
    if value not in known_time_zones():
        raise ValidationError(
            f"{value!r} is not a known time zone; use an IANA name such as Europe/London."
        )


# A phone number as people write it: digits, spaces, "+", "-", "(", ")", 7 to 20 characters
# with at least 7 digits. Not checked against any numbering plan: the clinic calls it.
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
PHONE_HELP = "Digits, spaces and + only, e.g. +44 7700 900123."


def validate_phone(value: str) -> None:
    """The one phone-number rule (model, web form and API)."""
    if value and (
        not PHONE_RE.fullmatch(value) or len(re.sub(r"\D", "", value)) < 7 or len(value) > 20
    ):
        raise ValidationError(f"Enter a phone number of 7 to 20 characters. {PHONE_HELP}")


def tel_href(value: str) -> str:
    """The `tel:` link of a stored number: the digits and a leading + only (RFC 3966)."""
    return "tel:" + ("+" if value.strip().startswith("+") else "") + re.sub(r"\D", "", value)


def default_session_times() -> list[str]:
    """Morning and evening, so twice-daily protocols have two slots by default."""
    return ["08:00", "18:00"]


class Therapist(PublicModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapist"
    )

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Patient(PublicModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient"
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="patients")
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    date_of_birth = models.DateField(null=True, blank=True)
    # For the clinic to call ("contact the patient today"); optional, removed on anonymisation.
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    # Reminder preferences: local wall-clock times, in the patient's own time zone.
    session_times = models.JSONField(default=default_session_times, blank=True)
    # The channels the patient chose for reminders (the in-app notice is always on; the
    # calendar is its link, on or off). Each channel also needs its own set-up: an e-mail
    # address, a browser subscribed to web push, a registered mobile app.
    email_reminders = models.BooleanField(default=True)
    push_reminders = models.BooleanField(default=True, db_default=True)
    mobile_reminders = models.BooleanField(default=True, db_default=True)
    quiet_start = models.TimeField(default=time(21, 0))
    quiet_end = models.TimeField(default=time(7, 0))
    daily_reminder_cap = models.PositiveSmallIntegerField(default=6)
    # Set when the patient's identifying data was removed on request (patients/privacy.py):
    # the clinical history stays, attached to an account that names nobody.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username"]
        permissions = [("anonymise_patient", "Can anonymise a patient on request")]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def phone_href(self) -> str:
        return tel_href(self.phone) if self.phone else ""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Diagnosis(PublicModel):
    """A therapist's diagnosis with the planner intake it was made with (kept as entered)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="diagnoses")
    condition = models.ForeignKey(
        "programmes.Condition", on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    intake = models.JSONField(default=dict)
    made_on = models.DateField()
    notes = models.TextField(blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-made_on", "-created_at"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.condition} ({self.side}) on {self.made_on}"

    def clean(self) -> Any:
        if self.patient_id and self.therapist_id and self.patient.therapist_id != self.therapist_id:
            raise ValidationError("Only the patient's own therapist can record a diagnosis.")
