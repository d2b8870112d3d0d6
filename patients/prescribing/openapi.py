"""The OpenAPI documentation of a patient's programme: mine, by id, prescribing and ending one
(`api.py` here): per view, the `extend_schema` of each HTTP method (summary, tags, bodies,
examples), attached with `@extend_schema_view(**openapi.NAME)`. Nothing here runs on a
request; the shared error responses come from rehab/api_schema.py."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.prescribing.serializers import MyProgrammeOutput
from programmes.openapi import EXAMPLE_ITEM, INTAKE_EXAMPLE, PROGRAMME_EXAMPLE, REVISION_EXAMPLE
from programmes.serializers import (
    AdjustmentInput,
    EndProgrammeInput,
    EndProgrammeOutput,
    PrescribeInput,
    ProgrammeOutput,
    RevisionOutput,
)
from rehab.api_schema import EXAMPLE_UUID, Methods


def _for_patient(phase: dict[str, Any]) -> dict[str, Any]:
    items = [{**item, "sources": []} for item in phase["items"]]
    return {**phase, "sources": [], "items": items, "starts_on": "2026-11-02"}


MY_PROGRAMME_EXAMPLE = {
    **PROGRAMME_EXAMPLE,
    "phases": [_for_patient(phase) for phase in cast(list[Any], PROGRAMME_EXAMPLE["phases"])],
    "ice_heat": [
        {
            "modality": "ice",
            "max_minutes": 15,
            "min_gap_hours": 3,
            "times": ["12:00", "19:00"],
            "from_day": 0,
            "to_day": None,
            "first_on": "2026-11-02",
            "last_on": None,
            "finished": False,
            "safety_rules": ["Always keep a towel or cloth between the ice and your skin."],
            "sources": [],
        }
    ],
    "warning_signs": [
        {
            "slug": "sudden_pop",
            "question": "Did you feel a sudden sharp pain, a pop, or a feeling like being kicked "
            "at the back of your ankle?",
            "advice": "Stop all of your exercises and do not try to stretch or test the ankle.",
            "urgency": "urgent",
            "heading": "Get medical help today",
        }
    ],
    "reviews": [{"due_on": "2027-01-25", "passed": False}],
    "therapist": "Dana Therapist",
    "clinic": "Rehab planner",
    "paused": None,
}

CURRENT_PROGRAMME: Methods = {
    "get": extend_schema(
        summary="My whole programme: phases and what moves each on, each exercise with its "
        "dose in words, the ice/heat plan and its safety rules, warning signs, review dates",
        tags=["patient"],
        responses=MyProgrammeOutput,
        examples=[OpenApiExample("Programme", value=MY_PROGRAMME_EXAMPLE)],
    ),
}


PROGRAMME: Methods = {
    "get": extend_schema(
        summary="A programme (the patient's own, or on the therapist's caseload)",
        tags=["programmes"],
        responses=ProgrammeOutput,
        examples=[OpenApiExample("Programme", value=PROGRAMME_EXAMPLE)],
    ),
}


END_PROGRAMME: Methods = {
    "post": extend_schema(
        summary="End a programme (discharge); it stays on record and reminders stop",
        tags=["programmes"],
        request=EndProgrammeInput,
        responses=EndProgrammeOutput,
        examples=[
            OpenApiExample(
                "Discharged", value={"reason": "Discharged, goals met."}, request_only=True
            ),
            OpenApiExample("No reason", value={}, request_only=True),
            OpenApiExample(
                "Ended",
                value={"id": EXAMPLE_UUID, "status": "ended", "ended_reason": "Discharged."},
                response_only=True,
            ),
        ],
    ),
}


PRESCRIBE: Methods = {
    "post": extend_schema(
        summary="Prescribe: diagnose from an intake and start the planner's programme",
        description="Refused (400, code `referral`) when the planner refers instead, and "
        "(code `active_programme_exists`) while the patient has an active programme.",
        tags=["programmes"],
        request=PrescribeInput,
        responses={201: ProgrammeOutput},
        examples=[
            OpenApiExample(
                "Prescribe",
                value={"intake": INTAKE_EXAMPLE, "started_on": "2026-11-02", "notes": ""},
                request_only=True,
            ),
            OpenApiExample("Programme", value=PROGRAMME_EXAMPLE, response_only=True),
        ],
    ),
}


ADJUST_PROGRAMME: Methods = {
    "post": extend_schema(
        summary="Adjust a programme: one change, recorded as a new revision with its reason",
        tags=["programmes"],
        request=AdjustmentInput,
        responses={201: RevisionOutput},
        examples=[
            OpenApiExample(
                "Change a dose",
                value={
                    "change": "change_dose",
                    "item": EXAMPLE_ITEM,
                    "dose": {"hold_s": 60},
                    "reason": "Pain settled; more load.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Swap with an override",
                value={
                    "change": "swap_exercise",
                    "item": EXAMPLE_ITEM,
                    "exercise": "eccentric_heel_drop_straight_knee",
                    "override_reason": "Cleared by the surgeon at review.",
                    "reason": "Ready for eccentric loading.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Move phase",
                value={"change": "move_phase", "to_phase": 2, "reason": "Criteria met."},
                request_only=True,
            ),
            OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True),
        ],
    ),
}
