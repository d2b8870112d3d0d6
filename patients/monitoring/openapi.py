"""The OpenAPI documentation of flags and accepting a progression (`api.py` here): per view, the
`extend_schema` of each HTTP method (summary, tags, bodies, examples), attached with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.monitoring.serializers import FlagOutput, ResolveFlagInput
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
}


FLAGS: Methods = {
    "get": extend_schema(
        summary="Flags on my caseload (most severe first); filter by status, kind, patient",
        tags=["therapist"],
        examples=[OpenApiExample("Step back", value=FLAG_EXAMPLE, response_only=True)],
    ),
}


FLAG: Methods = {
    "get": extend_schema(
        summary="One flag",
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
