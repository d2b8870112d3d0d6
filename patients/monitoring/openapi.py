"""The OpenAPI documentation of flags and accepting a progression (`api.py` here): per view, the
`extend_schema` of each HTTP method (summary, tags, bodies, examples), attached with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.monitoring.serializers import (
    ApplySuggestionInput,
    ApplySuggestionOutput,
    FlagOutput,
    ResolveFlagInput,
)
from programmes.openapi import REVISION_EXAMPLE
from programmes.serializers import (
    RevisionOutput,
)
from rehab.api_schema import EXAMPLE_UUID, Methods

FLAG_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "patient": {"id": EXAMPLE_UUID, "name": "Pat Achilles", "username": "pat"},
    "programme": EXAMPLE_UUID,
    "kind": "step_back",
    "severity": 2,
    "status": "open",
    "rule": "pain_during_above_limit",
    "episode": "2026-11-05",
    "message": "Pain during exercise was 7/10, above the 5/10 limit.",
    "evidence": {"pain_during": 7},
    "suggestion": "Use the easier versions.",
    "sources": ["R6"],
    "created_at": "2026-11-05T18:30:00Z",
    "acknowledged_at": None,
    "resolved_at": None,
    "resolution_note": "",
    "group": {
        "lead": EXAMPLE_UUID,
        "status": "open",
        "findings": [
            {
                "id": EXAMPLE_UUID,
                "rule": "pain_during_above_max",
                "rule_label": "Pain during exercise over the limit",
                "severity": 2,
                "message": "Pain during exercise was 7/10, above the 5/10 limit.",
                "evidence": {"pain_during": 7},
                "sources": ["R6"],
                "created_at": "2026-11-05T18:30:00Z",
            }
        ],
        "suggestions": ["Use the easier versions."],
        "sources": ["R6"],
        "can_apply_suggestion": True,
        "suggested_reason": "Step back suggested by monitoring: pain during exercise over the "
        "limit.",
    },
}
GROUP_DESCRIPTION = (
    "Each flag carries `group`, the card it is shown in on the patient page: the unresolved "
    "step-back findings of one programme (one worsening that several rules found) are one "
    "card, with each rule's evidence (`findings`: the rule, in words, its numbers and "
    "sources) and one suggestion; any other flag is a card of its own. Every finding of a "
    "card has the same `group`. Acknowledge and resolve act on the one flag named in the URL; "
    "`apply-suggestion` resolves the whole card."
)


FLAGS: Methods = {
    "get": extend_schema(
        summary="Flags on my caseload (most severe first); filter by status, kind, patient",
        description=GROUP_DESCRIPTION,
        tags=["therapist"],
        examples=[OpenApiExample("Step back", value=FLAG_EXAMPLE, response_only=True)],
    ),
}


FLAG: Methods = {
    "get": extend_schema(
        summary="One flag, with the card it is shown in",
        description=GROUP_DESCRIPTION,
        tags=["therapist"],
        responses=FlagOutput,
        examples=[OpenApiExample("Step back", value=FLAG_EXAMPLE)],
    ),
}


ACKNOWLEDGE_FLAG: Methods = {
    "post": extend_schema(
        summary="Acknowledge an open flag",
        tags=["therapist"],
        request=None,
        responses=FlagOutput,
        examples=[
            OpenApiExample(
                "Acknowledged", value={**FLAG_EXAMPLE, "status": "acknowledged"}, response_only=True
            )
        ],
    ),
}


RESOLVE_FLAG: Methods = {
    "post": extend_schema(
        summary="Resolve a flag, saying how",
        tags=["therapist"],
        request=ResolveFlagInput,
        responses=FlagOutput,
        examples=[
            OpenApiExample(
                "Resolved",
                value={"note": "Phoned; reduced to 2 sets for a week."},
                request_only=True,
            )
        ],
    ),
}


ACCEPT_PROGRESSION: Methods = {
    "post": extend_schema(
        summary="Accept a 'ready to progress' flag: advance a phase and resolve the flag",
        tags=["therapist"],
        request=None,
        responses={201: RevisionOutput},
        examples=[OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True)],
    ),
}


APPLY_SUGGESTION: Methods = {
    "post": extend_schema(
        summary="Apply a step back's suggestion with a reason, resolving its card",
        description='As the web\'s "Apply suggestion": the step back the programme as it is '
        "now suggests (a phase back; in phase 1, each exercise swapped for its easier version), "
        "one revision per change with `reason`, then every flag of the card resolved. All or "
        "nothing: a swap the programme refuses (a contraindicated easier version) changes "
        "nothing (400). Only an unresolved step-back flag (`group.can_apply_suggestion`); "
        "`group.suggested_reason` is the reason the web offers. No easier version to move to "
        "is a 400 `nothing_to_apply`: change the dose instead.",
        tags=["therapist"],
        request=ApplySuggestionInput,
        responses={201: ApplySuggestionOutput},
        examples=[
            OpenApiExample(
                "Flare-up", value={"reason": "Flare-up after a long walk."}, request_only=True
            ),
            OpenApiExample(
                "Applied",
                value={
                    "revisions": [REVISION_EXAMPLE],
                    "flag": {**FLAG_EXAMPLE, "status": "resolved"},
                },
                response_only=True,
            ),
        ],
    ),
}
