"""Flags: what monitoring raised about a patient, and what their therapist did about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from patients.models.people import Patient
from rehab.audit import AuditedQuerySet
from rehab.models import PublicModel


class Flag(PublicModel):
    """Something the therapist should know, raised once per rule and episode.

    `episode` names the stretch of time the evidence belongs to (a date, an ISO week, a
    checkpoint), so a re-run of the sweep finds the existing row instead of raising again."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", "Red flag"
        STEP_BACK = "step_back", "Step back"
        READY_TO_PROGRESS = "ready_to_progress", "Ready to progress"
        NOT_ADHERING = "not_adhering", "Not doing it"
        NOT_IMPROVING = "not_improving", "Doing it, not improving"

    class Severity(models.IntegerChoices):
        INFO = 1
        REVIEW = 2
        URGENT = 3

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=64)
    episode = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    message = models.TextField()
    evidence = models.JSONField(default=dict)
    suggestion = models.TextField(blank=True)
    sources = models.JSONField(default=list)
    notify_claimed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # When a same-day or emergency red flag still unacknowledged after
    # REHAB_ESCALATE_AFTER_MINUTES went to the clinic admins (set once, by a compare-and-set).
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-severity", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule", "episode"], name="one_flag_per_rule_and_episode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.rule} ({self.status})"
