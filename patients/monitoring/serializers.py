"""The API's shapes for flags and for the pause a red flag puts on a programme."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import Flag
from patients.monitoring.selectors import FlagGroup, flag_groups, rule_label
from patients.monitoring.services import default_step_back_reason
from programmes.serializers import RevisionOutput
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


class FlagFindingOutput(serializers.Serializer):
    id = serializers.UUIDField()
    rule = serializers.CharField(help_text="The monitoring rule that fired.")
    rule_label = serializers.CharField(help_text="What the rule found, in words.")
    severity = serializers.ChoiceField(Flag.Severity.choices)
    message = serializers.CharField(help_text="What was found, with its numbers.")
    evidence = serializers.DictField(help_text="The numbers the rule read.")
    sources = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class FlagGroupOutput(serializers.Serializer):
    """The flag as the patient page shows it: the step-back findings of one programme's
    worsening are one card (each rule's evidence, one suggestion, acted on once); any other
    flag is a card of its own."""

    lead = serializers.UUIDField(
        help_text="The card's flag: the most severe, newest finding (the page shows it first)."
    )
    status = serializers.ChoiceField(
        Flag.Status.choices, help_text="open if any finding is, else acknowledged if any is."
    )
    findings = FlagFindingOutput(many=True, help_text="Each rule that fired, lead first.")
    suggestions = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())
    can_apply_suggestion = serializers.BooleanField(
        help_text="An unresolved step back: POST /flags/{id}/apply-suggestion/ applies it."
    )
    suggested_reason = serializers.CharField(
        help_text="The reason the web offers to confirm or edit when applying (else empty)."
    )


def group_output(group: FlagGroup) -> dict[str, Any]:
    applicable = group.lead.kind == Flag.Kind.STEP_BACK and group.status != Flag.Status.RESOLVED
    return {
        "lead": group.pk,
        "status": group.status,
        "findings": [
            {
                "id": f.pk,
                "rule": f.rule,
                "rule_label": rule_label(f.rule),
                "severity": f.severity,
                "message": f.message,
                "evidence": f.evidence,
                "sources": f.sources,
                "created_at": f.created_at,
            }
            for f in group.flags
        ],
        "suggestions": group.suggestions,
        "sources": group.sources,
        "can_apply_suggestion": applicable,
        "suggested_reason": default_step_back_reason(group) if applicable else "",
    }


class FlagOutput(serializers.ModelSerializer):
    """A flag, with `group`: the card it is shown in. Pass `flag_groups` (selectors) in the
    context for a list, so the groups cost one query for the page."""

    patient = PatientSummaryOutput()
    evidence = serializers.DictField()
    sources = serializers.ListField(child=serializers.CharField())
    group = serializers.SerializerMethodField()

    @extend_schema_field(FlagGroupOutput)
    def get_group(self, flag: Flag) -> dict[str, Any]:
        groups = self.context.get("flag_groups")
        group = groups[flag.pk] if groups is not None else flag_groups([flag])[flag.pk]
        return FlagGroupOutput(group_output(group)).data

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
            "group",
        ]


class ApplySuggestionInput(InputSerializer):
    reason = serializers.CharField(
        max_length=2000,  # as the web form (ApplySuggestionForm) and a programme change
        help_text="Kept in the revision history and as the flags' resolution.",
        error_messages={
            "required": "Say why the programme is being changed.",
            "blank": "Say why the programme is being changed.",
        },
    )


class ResolveFlagInput(InputSerializer):
    note = serializers.CharField(max_length=5000, help_text="How it was resolved.")


class ApplySuggestionOutput(serializers.Serializer):
    revisions = RevisionOutput(many=True, help_text="One revision per change, in order.")
    flag = FlagOutput(help_text="The flag, now resolved with the others of its card.")
