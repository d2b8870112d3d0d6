"""Planned reminders: one row per patient, kind and local time, sent once; and per patient,
how far ahead they are planned and from which programme revision."""

from __future__ import annotations

from django.db import models

from patients.models.people import Patient
from rehab.models import TimeOrderedModel


class Reminder(TimeOrderedModel):
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

    # No index of its own: the unique key (patient, local_date, slot) leads with it, and every
    # index of a reminder is written again each time it is sent and nudged (issue 14).
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
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
        # Partial indexes, each holding only the rows a job still has to look at: a row leaves
        # one by its next update (sent, nudged) without a new entry, so sending and nudging
        # write fewer index entries, and each job's read stays as small as its work (issue 14).
        indexes = [
            # The per-minute job's read (due_reminders) and the missed count.
            models.Index(
                fields=["due_at"],
                name="reminder_pending_due",
                condition=models.Q(status="pending"),
            ),
            # Session reminders sent and not yet looked at for a nudge (nudges_due).
            models.Index(
                fields=["due_at"],
                name="reminder_nudge_owed",
                condition=models.Q(kind="session", status="sent", nudged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.local_date} {self.slot} ({self.status})"


class ReminderPlan(models.Model):
    """How far a patient's reminders are materialised, and from what: the planner
    (reminders/services.plan_reminders) looks again only when `replan_at` has passed (the
    patient's local day rolled over) or the programme's current revision is no longer the
    one planned from (adjusted, or moved to another phase)."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="reminder_plan"
    )
    revision_id = models.UUIDField(null=True, blank=True)
    planned_through = models.DateField(help_text="The last local date planned.")
    replan_at = models.DateTimeField(db_index=True, help_text="UTC: plan the next day from here.")

    def __str__(self) -> str:
        return f"{self.patient} planned through {self.planned_through}"
