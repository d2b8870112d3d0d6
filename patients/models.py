"""People and what they tell us: therapists, patients and the diagnoses therapists make."""

from __future__ import annotations

import zoneinfo
from datetime import time
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from patients.questionnaires import QUESTIONNAIRES, describe_score
from programmes.vocab import Questionnaire, Side
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
    # Reminder preferences: local wall-clock times, in the patient's own time zone.
    session_times = models.JSONField(default=default_session_times, blank=True)
    email_reminders = models.BooleanField(default=True)
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


NRS = [MinValueValidator(0), MaxValueValidator(10)]


class SessionLog(PublicModel):
    """One exercise session (a slot on a local date), done or skipped.

    `client_uuid` is generated on the device, so an offline phone can resend safely; the same
    slot logged again updates this row."""

    class Status(models.TextChoices):
        DONE = "done"
        SKIPPED = "skipped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="session_logs")
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="session_logs"
    )
    client_uuid = models.UUIDField()
    local_date = models.DateField()
    slot = models.PositiveSmallIntegerField(help_text="1 = first session of the day.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DONE)
    skip_reason = models.TextField(blank=True)
    pain_after_nrs = models.PositiveSmallIntegerField(null=True, blank=True, validators=NRS)
    logged_at = models.DateTimeField(help_text="When the patient logged it (device time).")

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-local_date", "-slot"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "client_uuid"], name="session_client_uuid"),
            models.UniqueConstraint(
                fields=["programme", "local_date", "slot"], name="one_log_per_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(pain_after_nrs__lte=10), name="session_pain_after_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.local_date} session {self.slot} ({self.status})"


class ExerciseLog(models.Model):
    """What was done for one programme item, stored beside what was prescribed."""

    session = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="exercises")
    item_key = models.UUIDField()
    exercise = models.ForeignKey("programmes.Exercise", on_delete=models.PROTECT, related_name="+")
    target_sets = models.PositiveSmallIntegerField(null=True, blank=True)
    target_reps = models.PositiveSmallIntegerField(null=True, blank=True)
    target_hold_s = models.PositiveSmallIntegerField(null=True, blank=True)
    sets_done = models.PositiveSmallIntegerField(null=True, blank=True)
    reps_done = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_s_done = models.PositiveSmallIntegerField(null=True, blank=True)
    load = models.CharField(max_length=100, blank=True)
    pain_during_nrs = models.PositiveSmallIntegerField(null=True, blank=True, validators=NRS)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "item_key"], name="one_entry_per_item"),
            models.CheckConstraint(
                condition=models.Q(pain_during_nrs__lte=10), name="exercise_pain_during_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} in {self.session}"


class CheckIn(PublicModel):
    """The morning check-in: pain, stiffness and the red-flag questions, once per local day."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    client_uuid = models.UUIDField()
    local_date = models.DateField()
    morning_pain_nrs = models.PositiveSmallIntegerField(validators=NRS)
    stiffness_minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(24 * 60)])
    red_flags = models.JSONField(default=list, blank=True)
    # "Is the sore area swollen this morning?": yes pauses heat (not ice) while it is the
    # latest answer (SEED-002: heat only without swelling). Null: not asked (older clients).
    swelling = models.BooleanField(null=True, blank=True)
    logged_at = models.DateTimeField()

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "client_uuid"], name="check_in_client_uuid"),
            models.UniqueConstraint(fields=["patient", "local_date"], name="one_check_in_a_day"),
            models.CheckConstraint(
                condition=models.Q(morning_pain_nrs__lte=10), name="check_in_pain_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} check-in {self.local_date}"


class QuestionnaireResponse(PublicModel):
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    client_uuid = models.UUIDField()
    questionnaire = models.CharField(max_length=8, choices=Questionnaire.choices)
    local_date = models.DateField()
    answers = models.JSONField()
    # The single total (VISA-A out of 100, LEFS out of 80). Null for the FAAM, which has no
    # total: its ADL and Sports percentages are in `subscales`, each None when "not
    # scorable" (too few items answered). F15, F36.
    score = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    logged_at = models.DateTimeField()

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "client_uuid"], name="questionnaire_client_uuid"
            ),
            models.CheckConstraint(
                condition=models.Q(questionnaire="faam", score__isnull=True)
                | (~models.Q(questionnaire="faam") & models.Q(score__isnull=False)),
                name="questionnaire_faam_has_no_total",
            ),
        ]

    def __str__(self) -> str:
        score = "" if self.score is None else f" {self.score:g}"
        return f"{self.questionnaire}{score} on {self.local_date}"

    @property
    def summary(self) -> str:
        """The score in plain words, each FAAM subscale apart ("47 out of 100 (100 = no
        symptoms)", "Daily activities (ADL): not scorable; Sports: 50% …")."""
        return describe_score(QUESTIONNAIRES[self.questionnaire], self.score, self.subscales)


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


class Notification(PublicModel):
    """An in-app message (shown on the web, listed by the API)."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", "Red flag"
        RED_FLAG_ESCALATION = "red_flag_escalation", "Red flag not acknowledged"
        FLAG_DIGEST = "flag_digest", "Flag digest"
        REMINDER_CHECK_IN = "reminder:check_in", "Check-in reminder"
        REMINDER_SESSION = "reminder:session", "Session reminder"
        REMINDER_ICE = "reminder:ice", "Ice reminder"
        REMINDER_HEAT = "reminder:heat", "Heat reminder"
        REMINDER_QUESTIONNAIRE = "reminder:questionnaire", "Questionnaire reminder"
        REMINDER_NUDGE = "reminder:nudge", "Nudge"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


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
