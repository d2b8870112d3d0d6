"""HTTP shapes for the catalogue and programmes: `...Input` validates a request body's shape,
`...Output` renders rows. No rules live here; the services and the planner decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programmes.models import Condition, Exercise, IceHeatSlot, ProgrammeItem, ProgrammeRevision
from programmes.planner import ACTIVITIES, Intake, IntakeError, validate_intake
from programmes.selectors import catalogue_snapshot, media_for
from programmes.services import CHANGE_KINDS
from programmes.text import describe_dose
from programmes.vocab import (
    Answer,
    Comorbidity,
    DvtRisk,
    Irritability,
    Onset,
    OttawaResult,
    Side,
    ThompsonResult,
)
from rehab import limits
from rehab.api import InputSerializer, bounded


def known_condition(value: str) -> str:
    """A condition slug from the catalogue, or a field error listing the valid ones."""
    conditions = catalogue_snapshot().conditions
    if value not in conditions:
        raise serializers.ValidationError(
            f"Unknown condition {value!r}. Valid: {', '.join(sorted(conditions))}."
        )
    return value


# --- Catalogue ----------------------------------------------------------------------------


class DoseOutput(serializers.Serializer):
    """A dose: units are in the names; null or "" means the source gives no figure."""

    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    reps_max = serializers.IntegerField(allow_null=True)
    hold_s = serializers.IntegerField(allow_null=True)
    times_per_day = serializers.IntegerField(allow_null=True)
    days_per_week = serializers.IntegerField(allow_null=True)
    load = serializers.CharField()
    tempo = serializers.CharField()
    rest_s = serializers.IntegerField(allow_null=True)
    dose_notes = serializers.CharField()


def _for_patient(serializer: serializers.Serializer) -> bool:
    return bool(serializer.context.get("for_patient"))


class MediaOutput(serializers.Serializer):
    """A picture or video of an exercise. `figure`: our own drawing (SVG, no words; the
    striped leg is the painful one). `photo`/`video`: added by the clinic, with its credit
    (show `author`, `licence` and `source_url` beside it). `url` is a path on this server."""

    kind = serializers.ChoiceField(choices=["figure", "photo", "video"])
    url = serializers.CharField()
    alt = serializers.CharField(help_text="What it shows, in plain words (the alt text).")
    content_type = serializers.CharField()
    width = serializers.IntegerField(allow_null=True, help_text="Figures: intrinsic size.")
    height = serializers.IntegerField(allow_null=True)
    licence = serializers.CharField()
    author = serializers.CharField()
    source_url = serializers.CharField()


class ExerciseOutput(serializers.ModelSerializer):
    progression = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="slug", read_only=True, allow_null=True
    )
    regression = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="slug", read_only=True, allow_null=True
    )
    movement_tags = serializers.ListField(child=serializers.CharField())
    instructions = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())
    dose = serializers.SerializerMethodField()
    patient_cautions = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Plain words for patients: "all" plus one list per condition slug.',
    )
    media = serializers.SerializerMethodField()

    class Meta:
        model = Exercise
        fields = [
            "slug",
            "name",
            "category",
            "movement_tags",
            "instructions",
            "cautions",
            "patient_cautions",
            "dose",
            "sources",
            "progression",
            "regression",
            "media",
        ]

    def get_dose(self, obj: Exercise) -> DoseOutput:
        return DoseOutput(obj.dose_dict()).data  # type: ignore[return-value]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """For a patient: no clinician cautions or dose notes (F39)."""
        data = super().to_representation(instance)
        if _for_patient(self):
            data["cautions"] = ""
            data["dose"] = {**data["dose"], "dose_notes": ""}
        return data

    @extend_schema_field(MediaOutput(many=True))
    def get_media(self, obj: Exercise) -> list[dict[str, Any]]:
        return media_for(obj)


ExerciseOutput.get_dose.__annotations__["return"] = DoseOutput


class ConditionOutput(serializers.ModelSerializer):
    contraindicated_tags = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Condition
        fields = [
            "slug",
            "name",
            "summary",
            "home_status",
            "contraindicated_tags",
            "questionnaire",
            "refer_when",
            "sources",
        ]


# --- Stored programmes --------------------------------------------------------------------


class ItemExerciseOutput(serializers.Serializer):
    """`patient_cautions`: plain words for this programme's condition only. `cautions` is the
    clinician's note (evidence, sources); it is blank when a patient asks."""

    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    movement_tags = serializers.ListField(child=serializers.CharField())
    instructions = serializers.ListField(child=serializers.CharField())
    cautions = serializers.CharField()
    patient_cautions = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    def get_patient_cautions(self, obj: Exercise) -> list[str]:
        return obj.patient_cautions_for(self.context.get("condition", ""))

    @extend_schema_field(MediaOutput(many=True))
    def get_media(self, obj: Exercise) -> list[dict[str, Any]]:
        return media_for(obj)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if _for_patient(self):
            data["cautions"] = ""
        return data


class ProgrammeItemOutput(serializers.Serializer):
    """A prescribed exercise; `key` stays the same across revisions (use it to log it)."""

    key = serializers.UUIDField()
    position = serializers.IntegerField()
    exercise = ItemExerciseOutput()
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    reps_max = serializers.IntegerField(allow_null=True)
    hold_s = serializers.IntegerField(allow_null=True)
    times_per_day = serializers.IntegerField(allow_null=True)
    days_per_week = serializers.IntegerField(allow_null=True)
    load = serializers.CharField()
    tempo = serializers.CharField()
    rest_s = serializers.IntegerField(allow_null=True)
    dose_notes = serializers.CharField()
    override_reason = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    dose_text = serializers.SerializerMethodField(
        help_text="The dose in plain words, as the web pages and the handout show it."
    )

    def get_dose_text(self, obj: ProgrammeItem) -> str:
        return describe_dose(obj)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """For the patient: no clinician notes or source ids (plain text only)."""
        data = super().to_representation(instance)
        if _for_patient(self):
            data.update(dose_notes="", override_reason="", sources=[])
        return data


class PhaseOutput(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    start_week = serializers.IntegerField()
    end_week = serializers.IntegerField(allow_null=True)
    goals = serializers.ListField(child=serializers.CharField())
    progression_criteria = serializers.ListField(child=serializers.CharField())
    advice = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())
    items = ProgrammeItemOutput(many=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if _for_patient(self):
            data["sources"] = []  # source ids are for clinicians (F39)
        return data


class IceHeatSlotOutput(serializers.ModelSerializer):
    times = serializers.ListField(child=serializers.CharField())
    safety_rules = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = IceHeatSlot
        fields = [
            "modality",
            "max_minutes",
            "min_gap_hours",
            "times",
            "from_day",
            "to_day",
            "safety_rules",
            "sources",
        ]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if _for_patient(self):
            data["sources"] = []  # source ids are for clinicians (F39)
        return data


class RevisionOutput(serializers.ModelSerializer):
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = ProgrammeRevision
        fields = [
            "id",
            "number",
            "kind",
            "reason",
            "summary",
            "override_reason",
            "changed_by",
            "current_phase",
            "created_at",
        ]

    def get_changed_by(self, obj: ProgrammeRevision) -> str:
        return obj.changed_by.get_full_name() or obj.changed_by.get_username()


class ProgrammeOutput(serializers.Serializer):
    """A programme with its current revision's phases, items and ice/heat schedule."""

    id = serializers.UUIDField(source="programme.id")
    patient = serializers.UUIDField(source="programme.patient_id")
    condition = serializers.CharField(source="programme.condition.slug")
    condition_name = serializers.CharField(source="programme.condition.name")
    protocol = serializers.CharField(source="programme.protocol.slug")
    protocol_name = serializers.CharField(source="programme.protocol.name")
    side = serializers.CharField(source="programme.side")
    status = serializers.CharField(source="programme.status")
    started_on = serializers.DateField(source="programme.started_on")
    revision = serializers.IntegerField(source="programme.current_revision.number")
    current_phase = serializers.IntegerField(source="programme.current_revision.current_phase")
    phases = PhaseOutput(many=True)
    ice_heat = IceHeatSlotOutput(many=True)


# --- Prescribing --------------------------------------------------------------------------


def _answer(help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        Answer.choices,
        help_text=help_text,
        error_messages={"required": "Answer yes, no or unknown."},
    )


class IntakeInput(InputSerializer):
    """What the clinician knows (`condition` is a slug from /conditions/). The screening
    answers are required: `swelling` and `recent_injury` always, the others when the
    condition needs them; a missing one is a 400 naming the field."""

    condition = serializers.CharField(max_length=64)
    side = serializers.ChoiceField(Side.choices, required=False, allow_null=True)
    onset = serializers.ChoiceField(Onset.choices, required=False, allow_null=True)
    onset_date = serializers.DateField(required=False, allow_null=True)
    assessed_on = serializers.DateField(required=False, allow_null=True)
    irritability = serializers.ChoiceField(Irritability.choices, required=False, allow_null=True)
    swelling = _answer("yes / no / unknown; unknown: no heat is offered.")
    recent_injury = _answer(
        "yes / no / unknown; a sprain or strain counts as recent unless onset_date is older "
        "than the acute window."
    )
    weeks_since_surgery = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=520
    )
    age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    activity = serializers.ChoiceField(list(ACTIVITIES), required=False, allow_null=True)
    circulation_or_sensation_problems = serializers.BooleanField(required=False)
    able_to_bear_weight = serializers.BooleanField(required=False)
    red_flags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    cleared = serializers.BooleanField(required=False)
    protocol = serializers.CharField(max_length=64, required=False, allow_null=True)
    ottawa = serializers.ChoiceField(
        OttawaResult.choices,
        required=False,
        allow_null=True,
        help_text="Required for a sprain or a suspected fracture; positive or not_assessed "
        "refers the same day.",
    )
    thompson = serializers.ChoiceField(
        ThompsonResult.choices,
        required=False,
        allow_null=True,
        help_text="Required for acute calf or Achilles pain; positive or not_done refers the "
        "same day.",
    )
    cauda_equina = serializers.ChoiceField(
        Answer.choices,
        required=False,
        allow_null=True,
        help_text="Saddle numbness, new bladder or bowel change, or symptoms in both legs; "
        "required for sciatica.",
    )
    comorbidities = serializers.ListField(
        child=serializers.ChoiceField(Comorbidity.choices), required=False, max_length=20
    )
    dvt_risks = serializers.ListField(
        child=serializers.ChoiceField(DvtRisk.choices), required=False, max_length=10
    )

    def validate_condition(self, value: str) -> str:
        return known_condition(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The planner's check of the answers this condition requires (e.g. the Ottawa rules
        for a sprain), as field errors."""
        try:
            intake = Intake.from_dict(attrs)
            validate_intake(intake, catalogue_snapshot(), require_answers=True)
        except IntakeError as error:
            raise serializers.ValidationError(error.fields) from None
        return attrs


class PrescribeInput(InputSerializer):
    intake = IntakeInput()
    made_on = serializers.DateField(required=False, help_text="Default: today.")
    started_on = serializers.DateField(required=False, help_text="Default: today.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class NoteOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())


class PlannedItemOutput(serializers.Serializer):
    exercise = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    movement_tags = serializers.ListField(child=serializers.CharField())
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    reps_max = serializers.IntegerField(allow_null=True)
    hold_s = serializers.IntegerField(allow_null=True)
    times_per_day = serializers.IntegerField(allow_null=True)
    days_per_week = serializers.IntegerField(allow_null=True)
    load = serializers.CharField()
    tempo = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())


class PlannedPhaseOutput(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    start_week = serializers.IntegerField()
    end_week = serializers.IntegerField(allow_null=True)
    goals = serializers.ListField(child=serializers.CharField())
    advice = serializers.ListField(child=serializers.CharField())
    items = PlannedItemOutput(many=True)
    progression_criteria = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())


class PlannedIceHeatOutput(serializers.Serializer):
    modality = serializers.CharField()
    max_minutes = serializers.IntegerField()
    min_gap_hours = serializers.IntegerField()
    times = serializers.ListField(child=serializers.CharField())
    from_day = serializers.IntegerField()
    to_day = serializers.IntegerField(allow_null=True)
    safety_rules = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())


class PlannedCheckpointOutput(serializers.Serializer):
    timeframe = serializers.CharField()
    after_days = serializers.IntegerField()
    by_days = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField()
    action = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())


class ReferralOutput(serializers.Serializer):
    urgency = serializers.CharField()
    reasons = NoteOutput(many=True)


class PlanOutput(serializers.Serializer):
    """The planner's answer (`planner.as_dict`): a programme, or a referral with reasons."""

    status = serializers.ChoiceField(["programme", "referral"])
    condition = serializers.CharField()
    protocol = serializers.CharField(allow_null=True)
    side = serializers.CharField(allow_null=True)
    warnings = NoteOutput(many=True)
    referral = ReferralOutput(allow_null=True)
    phases = PlannedPhaseOutput(many=True)
    ice_heat = PlannedIceHeatOutput(many=True)
    checkpoints = PlannedCheckpointOutput(many=True)


# --- Adjusting ----------------------------------------------------------------------------

CHANGES = list(CHANGE_KINDS)


class DoseInput(InputSerializer):
    sets = bounded(limits.DOSE_SETS)
    reps = bounded(limits.DOSE_REPS)
    reps_max = bounded(limits.DOSE_REPS)
    hold_s = bounded(limits.DOSE_HOLD_S)
    times_per_day = bounded(limits.DOSE_TIMES_PER_DAY)
    days_per_week = bounded(limits.DOSE_DAYS_PER_WEEK)
    load = serializers.CharField(required=False, allow_blank=True, max_length=200)
    tempo = serializers.CharField(required=False, allow_blank=True, max_length=200)
    rest_s = bounded(limits.DOSE_REST_S)
    dose_notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AdjustmentInput(InputSerializer):
    """One change, recorded as a new revision with the reason. Which fields are needed
    depends on `change`: change_dose (item, dose), add_exercise (phase, exercise, dose?),
    remove_exercise (item), swap_exercise (item, exercise, dose?: blank takes the new
    exercise's catalogue dose), move_phase (to_phase).
    Adding or swapping in a contraindicated exercise needs `override_reason`.

    Shape only: which fields a change needs, and what it accepts, is the change's own
    `from_dict` (programmes.services), which the web's adjust forms call too."""

    change = serializers.ChoiceField(CHANGES)
    reason = serializers.CharField(max_length=2000)
    item = serializers.UUIDField(required=False, help_text="A programme item's `key`.")
    dose = DoseInput(required=False)
    phase = serializers.IntegerField(required=False, min_value=1, max_value=20)
    exercise = serializers.CharField(required=False, max_length=64, help_text="Exercise slug.")
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    to_phase = serializers.IntegerField(required=False, min_value=1, max_value=20)

    def validate_condition(self, value: str) -> str:
        return known_condition(value)


class EndProgrammeInput(InputSerializer):
    """Why the programme is ending, as the web's end form asks (optional here, as before)."""

    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Why it is ending, e.g. discharged, goals met; or referred on. Kept with "
        "the programme.",
    )


class EndProgrammeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    ended_reason = serializers.CharField(help_text="The reason given (blank if none).")
