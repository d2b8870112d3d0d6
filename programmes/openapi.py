"""The OpenAPI documentation of programmes/api.py: per view, the `extend_schema` of each HTTP
method (summary, tags, request and response bodies, examples), attached in api.py with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request.

One section per endpoint group, in api.py's order; the shared error responses come from
rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from programmes.serializers import (
    IntakeInput,
    PlanOutput,
)
from rehab.api_schema import EXAMPLE_UUID, Methods

EXAMPLE_ITEM = "8d0e4b7a-1c2f-4a3b-9e8d-7f6a5b4c3d2e"  # a programme item's key


# --- Catalogue ----------------------------------------------------------------------------

MEDIA_EXAMPLE = {
    "kind": "figure",
    "url": "/exercises/figures/half_height_hold_one_leg.svg?v=3f2a9c1d0b7e",
    "alt": "Standing on the striped painful leg, fingertips on a wall, the other foot lifted; "
    "the heel rises only halfway and holds still there, well short of tiptoe.",
    "content_type": "image/svg+xml",
    "width": 246,
    "height": 245,
    "licence": "",
    "author": "Drawn for this app from the catalogue's joint angles",
    "source_url": "",
}
EXERCISE_EXAMPLE = {
    "slug": "isometric_calf_hold",
    "name": "Isometric calf hold",
    "category": "isometric",
    "movement_tags": ["weight_bearing"],
    "instructions": ["Stand on both feet…", "Rise onto the balls of your feet and hold."],
    "cautions": "",
    "patient_cautions": {"all": ["Stand close to a wall so you can steady yourself."]},
    "dose": {
        "sets": 5,
        "reps": 1,
        "reps_max": None,
        "hold_s": 45,
        "times_per_day": 1,
        "days_per_week": 7,
        "load": "",
        "tempo": "",
        "rest_s": 120,
        "dose_notes": "",
    },
    "sources": ["R6"],
    "progression": None,
    "regression": None,
    "media": [MEDIA_EXAMPLE],
}
CONDITION_EXAMPLE = {
    "slug": "achilles_midportion",
    "name": "Mid-portion Achilles tendinopathy",
    "summary": "…",
    "home_status": "home",
    "contraindicated_tags": [],
    "questionnaire": "visa_a",
    "refer_when": "",
    "sources": ["SEED-001"],
}

CONDITIONS: Methods = {
    "get": extend_schema(
        summary="Conditions the planner knows (catalogue, read-only)",
        tags=["catalogue"],
        examples=[OpenApiExample("Condition", value=CONDITION_EXAMPLE, response_only=True)],
    ),
}

CONDITION: Methods = {
    "get": extend_schema(
        summary="One condition",
        tags=["catalogue"],
        examples=[OpenApiExample("Condition", value=CONDITION_EXAMPLE)],
    ),
}

EXERCISES: Methods = {
    "get": extend_schema(
        summary="Exercises with instructions and default doses (catalogue, read-only)",
        tags=["catalogue"],
        examples=[OpenApiExample("Exercise", value=EXERCISE_EXAMPLE, response_only=True)],
    ),
}

EXERCISE: Methods = {
    "get": extend_schema(
        summary="One exercise",
        tags=["catalogue"],
        examples=[OpenApiExample("Exercise", value=EXERCISE_EXAMPLE)],
    ),
}


# --- Programmes ---------------------------------------------------------------------------

PROGRAMME_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "patient": EXAMPLE_UUID,
    "condition": "achilles_midportion",
    "condition_name": "Mid-portion Achilles tendinopathy",
    "protocol": "achilles_midportion_hsr",
    "protocol_name": "Heavy slow resistance",
    "side": "right",
    "status": "active",
    "started_on": "2026-11-02",
    "revision": 1,
    "current_phase": 1,
    "phases": [
        {
            "position": 1,
            "name": "Isometric loading",
            "start_week": 1,
            "end_week": 2,
            "goals": ["Settle pain"],
            "progression_criteria": ["Pain ≤ 3/10"],
            "advice": [],
            "sources": ["R6"],
            "items": [
                {
                    "key": EXAMPLE_ITEM,
                    "position": 1,
                    "exercise": {
                        "slug": "isometric_calf_hold",
                        "name": "Isometric calf hold",
                        "category": "isometric",
                        "movement_tags": ["weight_bearing"],
                        "instructions": ["Rise onto the balls of your feet and hold."],
                        "cautions": "",
                        "patient_cautions": [],
                        "media": [MEDIA_EXAMPLE],
                    },
                    "sets": 5,
                    "reps": 1,
                    "reps_max": None,
                    "hold_s": 45,
                    "times_per_day": 1,
                    "days_per_week": 7,
                    "load": "",
                    "tempo": "",
                    "rest_s": 120,
                    "dose_notes": "",
                    "override_reason": "",
                    "sources": ["R6"],
                    "dose_text": "5 holds of 45 seconds, rest 2 minutes in between, once a day, "
                    "every day",
                }
            ],
        }
    ],
    "ice_heat": [],
}
REVISION_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "number": 2,
    "kind": "dose_changed",
    "reason": "Pain settled; more load.",
    "summary": "Isometric calf hold: 5 holds of 45 seconds → 5 holds of 1 minute",
    "override_reason": "",
    "changed_by": "Dana Therapist",
    "current_phase": 1,
    "created_at": "2026-11-09T10:00:00Z",
}


REVISIONS: Methods = {
    "get": extend_schema(
        summary="A programme's revision history (newest first): who, when, why",
        tags=["programmes"],
        examples=[OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True)],
    ),
}


# --- Planning and prescribing -------------------------------------------------------------

INTAKE_EXAMPLE = {
    "condition": "achilles_midportion",
    "side": "right",
    "irritability": "moderate",
    "swelling": "no",
    "recent_injury": "no",
    "age": 44,
}

PLAN_PREVIEW: Methods = {
    "post": extend_schema(
        summary="Preview the planner's programme (or referral) for an intake; stores nothing",
        tags=["programmes"],
        request=IntakeInput,
        responses=PlanOutput,
        examples=[
            OpenApiExample("Intake", value=INTAKE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Referral",
                value={
                    "status": "referral",
                    "condition": "ankle_sprain",
                    "protocol": None,
                    "side": None,
                    "warnings": [],
                    "referral": {
                        "urgency": "urgent",
                        "reasons": [
                            {"code": "cannot_bear_weight", "message": "…", "sources": ["R20"]}
                        ],
                    },
                    "phases": [],
                    "ice_heat": [],
                    "checkpoints": [],
                },
                response_only=True,
            ),
        ],
    ),
}
