"""Planned reminders: one row per patient, kind and local time, sent once."""

from __future__ import annotations

from django.db import models

from patients.models.people import Patient
from rehab.models import PublicModel


class Reminder(PublicModel):
    """One reminder for one slot on one local date; the unique key makes a second sweep, a
    racing worker or a redelivered task find the existing row instead of reminding twice."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped", "Skipped (already done, or paused by a red flag)"

    class Kind(models.TextChoices):
        CHECK_IN = "check_in", "Morning check-in"
        SESSION = "session", "Exercise session"
        ICE = "ice", "Ice"
        HEAT = "heat", "Heat"
        QUESTIONNAIRE = "questionnaire", "Weekly questionnaire"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    local_date = models.DateField()
    slot = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "local_date", "slot"], name="one_reminder_per_slot"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.patient} {self.local_date} {self.slot} ({self.status})"
