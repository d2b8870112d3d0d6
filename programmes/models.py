"""The clinical catalogue (editable data with sources) and stored, revisioned programmes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction

from programmes.vocab import (
    AppliesWhen,
    Category,
    HomeStatus,
    Modality,
    MovementTag,
    Questionnaire,
    Screening,
    Side,
    Urgency,
)
from rehab.audit import AuditedQuerySet
from rehab.models import PublicModel


def _check_members(value: Any, allowed: set[str], what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{what} must be a list of names.")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError(
            f"Unknown {what}: {', '.join(unknown)}. Valid: {', '.join(sorted(allowed))}."
        )


def validate_movement_tags(value: Any) -> None:
    _check_members(value, set(MovementTag.values), "movement tags")


def validate_string_list(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("Must be a list of non-empty texts.")


def validate_patient_cautions(value: Any) -> None:
    """{"all": [...], "<condition slug>": [...]}: plain texts for the patient, per condition."""
    if not isinstance(value, dict):
        raise ValidationError("Must be a mapping of 'all' or a condition slug to texts.")
    for texts in value.values():
        validate_string_list(texts)


def validate_source_codes(value: Any) -> None:
    validate_string_list(value)
    if not value:
        raise ValidationError("At least one source id is required.")
    known = set(Source.objects.filter(code__in=value).values_list("code", flat=True))
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError(f"Unknown source ids: {', '.join(unknown)}.")


def validate_figure(value: str) -> None:
    from programmes.figure_files import drawn_figures

    if value and value not in drawn_figures():
        raise ValidationError(f"No figure {value!r} in figures.yaml.")


# The files a clinic may upload for an exercise: by kind, the extensions, the content type
# served back, the first bytes that identify the format (a renamed file is refused), and the
# largest size. No SVG or HTML: an uploaded SVG could carry script.
MEDIA_FORMATS: dict[str, dict[str, tuple[str, tuple[bytes, ...]]]] = {
    "photo": {
        "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
        "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
        "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
        "webp": ("image/webp", (b"RIFF",)),
    },
    "video": {
        "mp4": ("video/mp4", (b"ftyp",)),
        "webm": ("video/webm", (b"\x1a\x45\xdf\xa3",)),
    },
}
MEDIA_MAX_BYTES = {"photo": 2 * 1024 * 1024, "video": 20 * 1024 * 1024}


def media_format_problem(kind: str, name: str, head: bytes, size: int) -> str:
    """Why an upload is refused ("" when it is fine): its kind, extension, first bytes, size."""
    formats = MEDIA_FORMATS.get(kind)
    if formats is None:
        return "Choose photo or video."
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in formats:
        return f"A {kind} must be one of: {', '.join(sorted(formats))}."
    _, magics = formats[extension]
    found = head[4:8] if kind == "video" and extension == "mp4" else head
    if not any(found.startswith(m) for m in magics) or (
        extension == "webp" and head[8:12] != b"WEBP"
    ):
        return f"This file is not really a .{extension} file."
    if size > MEDIA_MAX_BYTES[kind]:
        return f"A {kind} may be at most {MEDIA_MAX_BYTES[kind] // (1024 * 1024)} MB."
    return ""


# --- Catalogue ----------------------------------------------------------------------------


class Source(models.Model):
    code = models.CharField(max_length=16, unique=True)
    citation = models.TextField()
    url = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class RedFlag(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    question = models.TextField(help_text="Patient-facing yes/no question.")
    meaning = models.TextField(help_text="Clinician-facing: what a yes may mean.")
    urgency = models.CharField(max_length=16, choices=Urgency.choices)
    advice = models.TextField(help_text="Patient-facing: what to do now.")
    check_in = models.BooleanField(default=False, help_text="Asked in the morning check-in.")
    check_in_for_condition = models.BooleanField(
        default=False,
        help_text="Also asked in the morning check-in of patients whose condition lists it.",
    )
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.slug


class Timeframe(models.Model):
    """A documented review point: if the rule holds `after_days` into home care, act."""

    slug = models.SlugField(max_length=64, unique=True)
    after_days = models.PositiveIntegerField()
    by_days = models.PositiveIntegerField(null=True, blank=True)
    applies_when = models.CharField(max_length=16, choices=AppliesWhen.choices)
    rule = models.TextField()
    action = models.TextField()
    metric = models.CharField(max_length=32)
    threshold = models.FloatField(null=True, blank=True)
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["after_days", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(by_days__isnull=True)
                | models.Q(by_days__gte=models.F("after_days")),
                name="timeframe_by_days_not_before_after_days",
            )
        ]

    def __str__(self) -> str:
        return self.slug


class Condition(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    summary = models.TextField()
    home_status = models.CharField(max_length=16, choices=HomeStatus.choices)
    contraindicated_tags = models.JSONField(
        default=list, blank=True, validators=[validate_movement_tags]
    )
    red_flags = models.ManyToManyField(RedFlag, blank=True, related_name="conditions")
    timeframes = models.ManyToManyField(Timeframe, blank=True, related_name="conditions")
    refer_if = models.JSONField(default=list, blank=True)
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    ice_heat = models.JSONField(default=list, blank=True)
    acute_injury = models.BooleanField(
        default=False,
        help_text="An injury that is acute by definition (a sprain or strain): counts as recent "
        "unless an onset date outside the acute window is given.",
    )
    referral_urgency = models.CharField(
        max_length=16,
        choices=Urgency.choices,
        blank=True,
        help_text="How soon a refer-only condition must be seen; blank: by its home status.",
    )
    screening = models.JSONField(
        default=list,
        blank=True,
        help_text="Intake screening tests this condition requires (ottawa, thompson, "
        "cauda_equina).",
    )
    refer_when = models.TextField(blank=True)
    questionnaire = models.CharField(max_length=8, choices=Questionnaire.choices)
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        _check_members(self.ice_heat, set(Modality.values), "ice/heat modalities")
        _check_members(self.refer_if, {"swelling", "recent_injury"}, "referral facts")
        _check_members(self.screening, set(Screening.values), "screening tests")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValidationError({"age_max": "The upper age must not be below the lower age."})


class Dose(models.Model):
    """Dose fields shared by catalogue exercises, protocol items and prescribed items.

    Units are in the names; a blank field means the source gives no figure."""

    sets = models.PositiveSmallIntegerField(null=True, blank=True)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    reps_max = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_s = models.PositiveSmallIntegerField(null=True, blank=True)
    times_per_day = models.PositiveSmallIntegerField(null=True, blank=True)
    days_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    load = models.CharField(max_length=200, blank=True)
    tempo = models.CharField(max_length=200, blank=True)
    rest_s = models.PositiveSmallIntegerField(null=True, blank=True)
    dose_notes = models.TextField(blank=True)

    DOSE_FIELDS = (
        "sets",
        "reps",
        "reps_max",
        "hold_s",
        "times_per_day",
        "days_per_week",
        "load",
        "tempo",
        "rest_s",
        "dose_notes",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = {}
        if self.days_per_week is not None and not 1 <= self.days_per_week <= 7:
            errors["days_per_week"] = "Days per week must be between 1 and 7."
        if self.times_per_day is not None and not 1 <= self.times_per_day <= 6:
            errors["times_per_day"] = "Times per day must be between 1 and 6."
        if self.reps_max is not None and (self.reps is None or self.reps_max < self.reps):
            errors["reps_max"] = "The upper rep count must not be below the lower one."
        if errors:
            raise ValidationError(errors)

    def dose_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.DOSE_FIELDS}


class Exercise(Dose):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices)
    movement_tags = models.JSONField(default=list, validators=[validate_movement_tags])
    instructions = models.JSONField(default=list, validators=[validate_string_list])
    dose_sources = models.JSONField(default=list, blank=True)
    progression = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    regression = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dose_to_confirm = models.TextField(
        blank=True,
        help_text="Why the default dose is an inference with no source figure: the planner "
        "asks the clinician to confirm it.",
    )
    cautions = models.TextField(blank=True, help_text="Clinician-facing: may cite sources.")
    patient_cautions = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_patient_cautions],
        help_text='Plain words for the patient: {"all": [...], "<condition slug>": [...]}.',
    )
    sources = models.JSONField(default=list, validators=[validate_source_codes])
    figure = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_figure],
        help_text="The drawing shown with the exercise: a slug from catalogue/figures.yaml.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def patient_cautions_for(self, condition: str) -> list[str]:
        """The cautions a patient with `condition` sees: the general ones, then their own
        condition's (never another condition's)."""
        return [*self.patient_cautions.get("all", []), *self.patient_cautions.get(condition, [])]


class ExerciseMedia(PublicModel):
    """A photo or video a clinic adds to an exercise, with its credit (title, author, licence,
    source: what a CC-BY or CC-BY-SA image needs shown beside it). Catalogue content only:
    never a patient's photo or anything about a patient."""

    class Kind(models.TextChoices):
        PHOTO = "photo"
        VIDEO = "video"

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(
        upload_to="exercise-media/",
        help_text="Photo: jpg, png or webp up to 2 MB. Video: mp4 or webm up to 20 MB.",
    )
    alt = models.TextField(help_text="What it shows, in plain words (read out by screen readers).")
    licence = models.CharField(max_length=100, help_text='e.g. "CC-BY-SA 4.0" or "own work".')
    author = models.CharField(max_length=200)
    source_url = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["exercise", "position", "created_at"]
        verbose_name_plural = "exercise media"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.exercise}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """The file goes with the row (once the deletion is committed)."""
        storage, name = self.file.storage, self.file.name
        result = super().delete(*args, **kwargs)
        if name:
            transaction.on_commit(lambda: storage.delete(name))
        return result

    @property
    def content_type(self) -> str:
        extension = self.file.name.rsplit(".", 1)[-1].lower()
        return MEDIA_FORMATS.get(self.kind, {}).get(extension, ("application/octet-stream",))[0]

    def clean(self) -> None:
        if not self.file or not self.alt.strip():
            if not self.alt.strip():
                raise ValidationError({"alt": "Say in a few words what it shows."})
            return
        upload = self.file
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        problem = media_format_problem(self.kind, upload.name or "", head, upload.size or 0)
        if problem:
            raise ValidationError({"file": problem})


class Protocol(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="protocols")
    name = models.CharField(max_length=200)
    summary = models.TextField()
    is_default = models.BooleanField(default=False)
    sources = models.JSONField(default=list, validators=[validate_source_codes])
    # The protocol's own pain rule (protocols.yaml pain_limits; knowledge.PainLimitsSpec).
    # Blank: the monitoring rules fall back to thresholds.yaml.
    pain_during_max = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    pain_after_max = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    pain_next_morning_margin = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    pain_progress_max = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    pain_limits_sources = models.JSONField(
        default=list, blank=True, validators=[validate_source_codes]
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition"],
                condition=models.Q(is_default=True),
                name="one_default_protocol_per_condition",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProtocolPhase(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    start_week = models.PositiveSmallIntegerField()
    end_week = models.PositiveSmallIntegerField(null=True, blank=True)
    goals = models.JSONField(default=list, blank=True)
    entry_criteria = models.JSONField(default=list, blank=True)
    progression_criteria = models.JSONField(default=list, blank=True)
    advice = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["protocol", "position"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "position"], name="protocol_phase_order")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.slug} phase {self.position}: {self.name}"


class ProtocolItem(Dose):
    phase = models.ForeignKey(ProtocolPhase, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    when = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["phase", "position"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "position"], name="protocol_item_order")
        ]

    def __str__(self) -> str:
        return f"{self.phase}: {self.exercise}"


class Threshold(models.Model):
    """A number a clinical rule compares against (thresholds.yaml), with its source."""

    slug = models.SlugField(max_length=64, unique=True)
    value = models.FloatField()
    unit = models.CharField(max_length=64)
    description = models.TextField()
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.slug} = {self.value:g} {self.unit}"


class IceHeatRule(models.Model):
    """The hard limits for one modality (reference §2g)."""

    modality = models.CharField(max_length=8, choices=Modality.choices, unique=True)
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    max_minutes = models.PositiveSmallIntegerField()
    min_gap_hours = models.PositiveSmallIntegerField()
    barrier = models.TextField()
    allowed_when = models.TextField()
    safety_rules = models.JSONField(default=list, validators=[validate_string_list])
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    def __str__(self) -> str:
        return self.modality


class IceHeatSchedule(models.Model):
    """Times of day at which one modality may be offered, for a window of days."""

    slug = models.SlugField(max_length=64, unique=True)
    modality = models.CharField(max_length=8, choices=Modality.choices)
    situation = models.CharField(max_length=32)
    times = models.JSONField(default=list)
    from_day = models.PositiveSmallIntegerField(default=0)
    to_day = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    sources = models.JSONField(default=list, validators=[validate_source_codes])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.slug


# --- Stored programmes --------------------------------------------------------------------


class ImmutableModel(models.Model):
    """Rows written once: a revision is never edited, only superseded by a newer one."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(f"{type(self).__name__} rows are immutable once saved.")
        super().save(*args, **kwargs)


class Programme(PublicModel):
    class Status(models.TextChoices):
        ACTIVE = "active"
        ENDED = "ended"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="programmes"
    )
    diagnosis = models.OneToOneField(
        "patients.Diagnosis", on_delete=models.PROTECT, related_name="programme"
    )
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    ended_reason = models.TextField(blank=True, help_text="Why the therapist ended it.")
    started_on = models.DateField()
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    current_revision = models.ForeignKey(
        "ProgrammeRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-created_at"]
        constraints = [
            # One active programme per patient: "today" and reminders have one answer.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_active_programme_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition} for {self.patient}"


class ProgrammeRevision(PublicModel, ImmutableModel):
    class Kind(models.TextChoices):
        PRESCRIBED = "prescribed"
        DOSE_CHANGED = "dose_changed"
        EXERCISE_ADDED = "exercise_added"
        EXERCISE_REMOVED = "exercise_removed"
        EXERCISE_SWAPPED = "exercise_swapped"
        PHASE_CHANGED = "phase_changed"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    summary = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    current_phase = models.PositiveSmallIntegerField(default=1)
    warnings = models.JSONField(default=list, blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="revision_number")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} ({self.kind})"


class ProgrammePhase(ImmutableModel):
    revision = models.ForeignKey(ProgrammeRevision, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    start_week = models.PositiveSmallIntegerField()
    end_week = models.PositiveSmallIntegerField(null=True, blank=True)
    goals = models.JSONField(default=list, blank=True)
    progression_criteria = models.JSONField(default=list, blank=True)
    advice = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "position"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "position"], name="programme_phase_order")
        ]

    def __str__(self) -> str:
        return self.name


class ProgrammeItem(Dose, ImmutableModel):
    """One prescribed exercise in one phase of one revision.

    `key` stays the same across revisions so a change can name "this item"."""

    phase = models.ForeignKey(ProgrammePhase, on_delete=models.CASCADE, related_name="items")
    key = models.UUIDField()
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    sources = models.JSONField(default=list)
    override_reason = models.TextField(
        blank=True, help_text="Why a contraindicated exercise was prescribed anyway."
    )

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["phase", "position"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "key"], name="programme_item_key"),
            models.UniqueConstraint(fields=["phase", "position"], name="programme_item_order"),
        ]

    def __str__(self) -> str:
        return str(self.exercise)


class IceHeatSlot(ImmutableModel):
    revision = models.ForeignKey(
        ProgrammeRevision, on_delete=models.CASCADE, related_name="ice_heat_slots"
    )
    modality = models.CharField(max_length=8, choices=Modality.choices)
    max_minutes = models.PositiveSmallIntegerField()
    min_gap_hours = models.PositiveSmallIntegerField()
    times = models.JSONField(default=list)
    from_day = models.PositiveSmallIntegerField(default=0)
    to_day = models.PositiveSmallIntegerField(null=True, blank=True)
    safety_rules = models.JSONField(default=list)
    sources = models.JSONField(default=list)

    objects = AuditedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.modality} at {', '.join(self.times)}"


class Checkpoint(models.Model):
    """A review point fixed at prescription: on `due_on`, check `rule` and act."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="checkpoints")
    timeframe = models.ForeignKey(Timeframe, on_delete=models.PROTECT, related_name="+")
    after_days = models.PositiveIntegerField()
    due_on = models.DateField()
    rule = models.TextField()
    action = models.TextField()
    sources = models.JSONField(default=list)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "after_days"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "timeframe"], name="one_checkpoint_each")
        ]

    def __str__(self) -> str:
        return f"day {self.after_days}: {self.rule}"
