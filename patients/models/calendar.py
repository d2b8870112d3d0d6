"""A patient's private calendar link: the secret in its address is the only credential, so
only its SHA-256 is kept (patients/calendar/)."""

from __future__ import annotations

from django.db import models

from patients.models.people import Patient
from rehab.models import PublicModel


class CalendarFeed(PublicModel):
    """At most one per patient: regenerating replaces the hash (the old link stops working at
    once), revoking deletes the row. `created_at` is when the current link was made."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="calendar_feed")
    secret_sha256 = models.CharField(
        max_length=64, unique=True, help_text="Hex SHA-256 of the link's secret (never the secret)."
    )
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar link of patient {self.patient_id}"
