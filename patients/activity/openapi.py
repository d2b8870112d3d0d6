"""The OpenAPI documentation of Today, session logs, check-ins, the offline sync batch (`api.py`
here): per view, the `extend_schema` of each HTTP method (summary, tags, bodies, examples),
attached with `@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the
shared error responses come from rehab/api_schema.py."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.activity.serializers import (
    CheckInInput,
    CheckInOutput,
    CheckInQuestionsOutput,
    SessionChangeInput,
    SessionLogInput,
    SessionLogOutput,
    SyncInput,
    SyncOutput,
    TodayOutput,
)
from patients.activity.sync import CHANGE_WINDOW_DAYS
from programmes.catalogue_files import check_in_red_flag_slugs
from programmes.openapi import EXAMPLE_ITEM
from rehab.api_schema import CONFLICT, EXAMPLE_UUID, Methods


class RedFlagSlugFieldSchema(OpenApiSerializerFieldExtension):
    """A red-flag answer's enum: every question some check-in can ask, read from the catalogue
    files each time the schema is made (one home: programmes/catalogue/red_flags.yaml and
    conditions.yaml, by the check-in's own rule, catalogue_files.asked_in_check_in)."""

    target_class = "patients.activity.serializers.RedFlagSlugField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "string", "enum": list(check_in_red_flag_slugs())}


TODAY: Methods = {
    "get": extend_schema(
        summary="Today: what is due on the patient's own date, and what is already logged",
        description="`sessions` come by slot, each with its `state` at the moment of the "
        "request (from the patient's own reminder times, in their zone). Show the session "
        "`current_slot` first, then the others still to do, then those logged, as the web "
        "page does; when `late_in_day`, say plainly what is still to do today.",
        tags=["patient"],
        responses=TodayOutput,
        examples=[
            OpenApiExample(
                "Late in the day, nothing logged yet",
                value={
                    "local_date": "2026-11-03",
                    "programme": EXAMPLE_UUID,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "week": 1,
                    "sessions": [
                        {"slot": 1, "time": "08:00", "state": "missed", "items": [], "log": None},
                        {"slot": 2, "time": "18:00", "state": "due", "items": [], "log": None},
                    ],
                    "current_slot": 2,
                    "late_in_day": True,
                    "ice_heat": [],
                    "check_in": None,
                    "questionnaire": "visa_a",
                    "questionnaire_due": True,
                    "paused": None,
                },
            ),
            OpenApiExample(
                "Paused by a red flag",
                value={
                    "local_date": "2026-11-03",
                    "programme": EXAMPLE_UUID,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "week": 1,
                    "sessions": [],
                    "current_slot": None,
                    "late_in_day": False,
                    "ice_heat": [],
                    "check_in": None,
                    "questionnaire": "visa_a",
                    "questionnaire_due": False,
                    "paused": {
                        "since": "2026-11-03",
                        "urgency": "urgent",
                        "heading": "Get medical help today",
                        "advice": ["Do not do any exercises. Keep weight off the foot."],
                    },
                },
            ),
        ],
    ),
}


CHECK_IN_QUESTIONS: Methods = {
    "get": extend_schema(
        summary="The morning check-in's questions, and what to show after a yes",
        description="Exactly what the web check-in asks this patient today: the red-flag "
        "questions asked of everyone, their condition's own and, after a DVT risk, the DVT "
        "questions. `POST /check-ins/` accepts exactly these slugs in `red_flags` (any other "
        "is a 400). After a yes, show `answered_yes`, then the heading of the most urgent "
        "yes (highest `urgency_rank`) and each yes's `urgency_label` and `advice`, most urgent "
        "first, as the web does. Fetch it again when Today's `programme` changes.",
        tags=["patient"],
        responses=CheckInQuestionsOutput,
        examples=[
            OpenApiExample(
                "Questions",
                value={
                    "questions": [
                        {
                            "slug": "cannot_bear_weight",
                            "question": "Are you unable to put weight on the foot?",
                            "urgency": "urgent",
                            "urgency_rank": 2,
                            "urgency_label": "Same day",
                            "heading": "Get medical help today",
                            "advice": "Stop the exercises and get seen today.",
                        }
                    ],
                    "swelling_question": "Is the sore area swollen this morning?",
                    "answered_yes": "You answered yes to a warning sign. …",
                },
            )
        ],
    ),
}


SESSION_EXAMPLE = {
    "client_uuid": EXAMPLE_UUID,
    "local_date": "2026-11-03",
    "slot": 1,
    "status": "done",
    "pain_after_nrs": 3,
    "exercises": [
        {"item_key": EXAMPLE_ITEM, "sets_done": 3, "reps_done": 15, "pain_during_nrs": 3}
    ],
    "logged_at": "2026-11-03T08:25:00+00:00",
}


SESSION_OUTPUT_EXAMPLE = {
    "id": "0c9a7d52-53c5-4a53-9a53-6b8e0f1d2c3b",
    "client_uuid": EXAMPLE_UUID,
    "programme": "a4c1e2d3-5b6f-4a7b-8c9d-0e1f2a3b4c5d",
    "local_date": "2026-11-03",
    "slot": 1,
    "status": "done",
    "skip_reason": "",
    "pain_after_nrs": 3,
    "exercises": [
        {
            "item_key": EXAMPLE_ITEM,
            "exercise": "eccentric_heel_drop_straight_knee",
            "target_sets": 3,
            "target_reps": 15,
            "target_hold_s": None,
            "sets_done": 3,
            "reps_done": 15,
            "hold_s_done": None,
            "load": "",
            "pain_during_nrs": 3,
        }
    ],
    "logged_at": "2026-11-03T08:25:00+00:00",
    "created_at": "2026-11-03T08:25:02.120000Z",
    "updated_at": "2026-11-03T08:25:02.120000Z",
}


SESSION_LOGS: Methods = {
    "get": extend_schema(
        summary="List my session logs (newest first)",
        tags=["patient"],
        examples=[OpenApiExample("A log", value=SESSION_OUTPUT_EXAMPLE, response_only=True)],
    ),
    "post": extend_schema(
        summary="Log a session (idempotent on client_uuid; the same slot again replaces it)",
        tags=["patient"],
        request=SessionLogInput,
        responses={201: SessionLogOutput, 200: SessionLogOutput, 409: CONFLICT},
        examples=[
            OpenApiExample("Done", value=SESSION_EXAMPLE, request_only=True),
            OpenApiExample(
                "Skipped",
                value={
                    "client_uuid": "5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
                    "local_date": "2026-11-03",
                    "slot": 2,
                    "status": "skipped",
                    "skip_reason": "Calf too sore after a long walk.",
                    "logged_at": "2026-11-03T19:02:00-05:00",
                },
                request_only=True,
            ),
            OpenApiExample("Stored", value=SESSION_OUTPUT_EXAMPLE, response_only=True),
        ],
    ),
}


SESSION_LOG: Methods = {
    "get": extend_schema(
        summary="One of my session logs",
        tags=["patient"],
        examples=[OpenApiExample("A log", value=SESSION_OUTPUT_EXAMPLE, response_only=True)],
    ),
    "put": extend_schema(
        summary=f"Replace what a session log holds (its date and slot stay; within "
        f"{CHANGE_WINDOW_DAYS} days of its date)",
        tags=["patient"],
        request=SessionChangeInput,
        responses=SessionLogOutput,
        examples=[
            OpenApiExample(
                "Pain was higher",
                value={"status": "done", "pain_after_nrs": 5, "exercises": []},
                request_only=True,
            )
        ],
    ),
    "patch": extend_schema(
        summary=f"Change some of what a session log holds (within {CHANGE_WINDOW_DAYS} days "
        "of its date)",
        tags=["patient"],
        request=SessionChangeInput,
        responses=SessionLogOutput,
        examples=[OpenApiExample("Pain only", value={"pain_after_nrs": 4}, request_only=True)],
    ),
    "delete": extend_schema(
        summary=f"Delete one of my session logs (within {CHANGE_WINDOW_DAYS} days of its date)",
        tags=["patient"],
        responses={204: None},
    ),
}


CHECK_IN_EXAMPLE = {
    "client_uuid": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
    "local_date": "2026-11-03",
    "morning_pain_nrs": 3,
    "stiffness_minutes": 10,
    "red_flags": [],
    "logged_at": "2026-11-03T07:40:00+00:00",
}


CHECK_IN_OUTPUT_EXAMPLE = {
    **CHECK_IN_EXAMPLE,
    "id": EXAMPLE_UUID,
    "created_at": "2026-11-03T07:40Z",
}


CHECK_INS: Methods = {
    "get": extend_schema(
        summary="List my morning check-ins (newest first)",
        tags=["patient"],
        examples=[OpenApiExample("A check-in", value=CHECK_IN_OUTPUT_EXAMPLE, response_only=True)],
    ),
    "post": extend_schema(
        summary="Send the morning check-in (idempotent on client_uuid; once a day)",
        tags=["patient"],
        request=CheckInInput,
        responses={201: CheckInOutput, 200: CheckInOutput, 409: CONFLICT},
        examples=[OpenApiExample("Morning", value=CHECK_IN_EXAMPLE, request_only=True)],
    ),
}


CHECK_IN: Methods = {
    "get": extend_schema(
        summary="One of my check-ins",
        tags=["patient"],
        examples=[OpenApiExample("A check-in", value=CHECK_IN_OUTPUT_EXAMPLE)],
    ),
}


SYNC: Methods = {
    "post": extend_schema(
        summary="Upload up to 500 offline records at once; a result per record",
        description="Each record is checked and stored on its own: one bad record is reported "
        "as `rejected` (with code, message and fields) and never blocks the others. "
        "Records replay on their `client_uuid`, so sending the same batch again creates "
        "nothing (`already_present`). Results are in the order sent.",
        tags=["sync"],
        request=SyncInput,
        responses=SyncOutput,
        examples=[
            OpenApiExample(
                "Two records",
                value={
                    "records": [
                        {"type": "check_in", **CHECK_IN_EXAMPLE},
                        {"type": "session", **SESSION_EXAMPLE},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Results",
                value={
                    "results": [
                        {
                            "index": 0,
                            "client_uuid": CHECK_IN_EXAMPLE["client_uuid"],
                            "type": "check_in",
                            "status": "created",
                            "id": EXAMPLE_UUID,
                            "reported_late": False,
                        },
                        {
                            "index": 1,
                            "client_uuid": EXAMPLE_UUID,
                            "type": "session",
                            "status": "rejected",
                            "code": "invalid",
                            "message": "Some exercises are not in the current programme.",
                            "fields": {"exercises": [f"Unknown item {EXAMPLE_ITEM}."]},
                            "reported_late": False,
                        },
                    ],
                    "created": 1,
                    "updated": 0,
                    "already_present": 0,
                    "rejected": 1,
                },
                response_only=True,
            ),
        ],
    ),
}
