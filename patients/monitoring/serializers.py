"""The API's shapes for flags and for the pause a red flag puts on a programme."""

from __future__ import annotations

from rest_framework import serializers

from patients.models import Flag
from programmes.vocab import Urgency
from rehab.api import InputSerializer


class PauseOutput(serializers.Serializer):
    """Why the programme is paused (F3): a red flag the patient reported that no clinician has
    resolved yet. While it lasts, `sessions` and `ice_heat` are empty, a session log is refused
    with 409 `programme_paused`, and only the check-in goes on."""

    since = serializers.DateField(
        help_text="The check-in date the first unresolved red flag was reported on."
    )
    urgency = serializers.ChoiceField(
        Urgency.choices, help_text="The most urgent of the unresolved red flags."
    )
    heading = serializers.CharField(
        help_text='What to do, by urgency, e.g. "Get medical help today" (show as the title).'
    )
    advice = serializers.ListField(
        child=serializers.CharField(), help_text="Each red flag's own advice, most urgent first."
    )


class PatientSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")
    username = serializers.CharField(source="user.username")


class FlagSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "kind", "severity", "status", "message", "created_at"]


class FlagOutput(serializers.ModelSerializer):
    patient = PatientSummaryOutput()
    evidence = serializers.DictField()
    sources = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Flag
        fields = [
            "id",
            "patient",
            "programme",
            "kind",
            "severity",
            "status",
            "rule",
            "episode",
            "message",
            "evidence",
            "suggestion",
            "sources",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
        ]


class ResolveFlagInput(InputSerializer):
    note = serializers.CharField(max_length=5000, help_text="How it was resolved.")
