"""What a patient records: sessions and the exercises in them, morning check-ins and questionnaire
responses. Each carries a client-chosen uuid so a retried or offline upload is stored once."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from patients.models.people import Patient
from patients.questionnaires.definitions import QUESTIONNAIRES, describe_score
from programmes.vocab import Questionnaire
from rehab.audit import AuditedQuerySet
from rehab.models import PublicModel

NRS = [MinValueValidator(0), MaxValueValidator(10)]


# A row's `applied`: each client record that set what it holds (its own first, then each
# edit of the same slot or day sent with another client_uuid), as {client_uuid: digest of
# the content}, so a batch that holds an edit replays cleanly when sent again: every record
# is found and answered `already_present`, none re-applied or taken for a conflict.
APPLIED_HELP = "client_uuid → content digest of every record applied to this row."


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
    applied = models.JSONField(default=dict, blank=True, help_text=APPLIED_HELP)

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
        indexes = [
            # A patient's sessions on a day, whatever the programme (the reminders' "already
            # done?", a batch of them at a time: issue 14).
            models.Index(fields=["patient", "local_date"], name="session_patient_day"),
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
    applied = models.JSONField(default=dict, blank=True, help_text=APPLIED_HELP)

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
