"""The API's shape of a patient's own programme (`my_programme`, as the page and the handout)."""

from __future__ import annotations

from rest_framework import serializers

from patients.monitoring.serializers import PauseOutput
from programmes.serializers import PhaseOutput, ProgrammeOutput
from programmes.vocab import Urgency


class MyIceHeatOutput(serializers.Serializer):
    """A slot of the ice/heat plan with the dates it runs and its safety rules."""

    modality = serializers.CharField(source="slot.modality")
    max_minutes = serializers.IntegerField(source="slot.max_minutes")
    min_gap_hours = serializers.IntegerField(source="slot.min_gap_hours")
    times = serializers.ListField(child=serializers.CharField(), source="slot.times")
    from_day = serializers.IntegerField(source="slot.from_day")
    to_day = serializers.IntegerField(source="slot.to_day", allow_null=True)
    first_on = serializers.DateField(help_text="The first date it is due.")
    last_on = serializers.DateField(
        allow_null=True, help_text="The last date it is due; null while the programme runs."
    )
    finished = serializers.BooleanField(help_text="Its last date is before the patient's today.")
    safety_rules = serializers.ListField(child=serializers.CharField(), source="slot.safety_rules")
    sources = serializers.SerializerMethodField(help_text="Always empty for a patient.")

    def get_sources(self, obj: object) -> list[str]:
        return []


class WarningSignOutput(serializers.Serializer):
    """A red flag in the patient's words: stop and seek care if the answer is yes."""

    slug = serializers.CharField(source="flag.slug")
    question = serializers.CharField(source="flag.question")
    advice = serializers.CharField(source="flag.advice")
    urgency = serializers.ChoiceField(Urgency.choices, source="flag.urgency")
    heading = serializers.CharField(help_text="How soon to act, in words.")


class ReviewOutput(serializers.Serializer):
    due_on = serializers.DateField()
    passed = serializers.BooleanField()


class MyPhaseOutput(PhaseOutput):
    starts_on = serializers.DateField(
        help_text="The earliest date the phase starts: the therapist moves the patient on "
        "when its progression criteria are met."
    )


class MyProgrammeOutput(ProgrammeOutput):
    """The patient's whole programme: every phase (with what moves it on), each exercise's
    dose in words (`dose_text`), the ice/heat plan with its dates and safety rules, the
    warning signs, the review dates, who prescribed it, and the pause (F3) so an app
    working offline from it stops offering sessions and ice/heat while a red flag is
    unresolved."""

    phases = MyPhaseOutput(many=True)
    ice_heat = MyIceHeatOutput(many=True)  # type: ignore[assignment]
    warning_signs = WarningSignOutput(many=True)
    reviews = ReviewOutput(many=True)
    therapist = serializers.CharField(help_text="The therapist who looks after the patient.")
    clinic = serializers.CharField()
    paused = PauseOutput(
        allow_null=True,
        help_text="Null unless a reported red flag has paused the programme (see PauseOutput).",
    )
