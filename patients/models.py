"""People and what they tell us: therapists, patients and the diagnoses therapists make."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from programmes.vocab import Side
from rehab.models import PublicModel


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{value!r} is not a known time zone; use an IANA name such as Europe/London."
        ) from None


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

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

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

    class Meta:
        ordering = ["-made_on", "-created_at"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.condition} ({self.side}) on {self.made_on}"

    def clean(self) -> Any:
        if self.patient_id and self.therapist_id and self.patient.therapist_id != self.therapist_id:
            raise ValidationError("Only the patient's own therapist can record a diagnosis.")
