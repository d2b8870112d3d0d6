"""The OpenAPI documentation of patients/api.py: per view, the `extend_schema` of each HTTP
method (summary, tags, request and response bodies, examples), attached in api.py with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request.

One section per endpoint group, in api.py's order. The shared error responses (400, 401, …)
are added to every operation by rehab/api_schema.py, not here."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from patients.activity.serializers import (
    CheckInInput,
    CheckInOutput,
    SessionChangeInput,
    SessionLogInput,
    SessionLogOutput,
    SyncInput,
    SyncOutput,
    TodayOutput,
)
from patients.activity.sync import DELETE_WINDOW_DAYS
from patients.monitoring.serializers import FlagOutput, ResolveFlagInput
from patients.notifications.serializers import MarkReadInput, MarkReadOutput
from patients.people.serializers import (
    MeOutput,
    MeUpdateInput,
    PatientCreateInput,
    PatientDetailOutput,
)
from patients.questionnaires.serializers import (
    QuestionnaireOutput,
    QuestionnaireResponseInput,
    QuestionnaireResponseOutput,
)
from rehab.api import ErrorOutput

# Method name ("get", "post", …) → its extend_schema, for @extend_schema_view(**...).
Methods = dict[str, Any]

EXAMPLE_UUID = "3f2b8c1e-6a4d-4f7e-9b1a-2c5d8e9f0a1b"
EXAMPLE_ITEM = "8d0e4b7a-1c2f-4a3b-9e8d-7f6a5b4c3d2e"

CONFLICT = OpenApiResponse(ErrorOutput, description="This client_uuid was sent with other content.")


# --- Me -----------------------------------------------------------------------------------

ME: Methods = {
    "get": extend_schema(
        summary="Who am I: account, role, and a patient's profile and preferences",
        tags=["me"],
        responses=MeOutput,
        examples=[
            OpenApiExample(
                "Patient",
                value={
                    "username": "pat.achilles",
                    "first_name": "Pat",
                    "last_name": "Achilles",
                    "email": "pat@example.org",
                    "role": "patient",
                    "patient": {
                        "id": EXAMPLE_UUID,
                        "time_zone": "Europe/London",
                        "date_of_birth": "1985-03-02",
                        "session_times": ["08:00", "18:00"],
                        "email_reminders": True,
                        "quiet_start": "21:00:00",
                        "quiet_end": "07:00:00",
                        "daily_reminder_cap": 6,
                        "therapist_name": "Dana Therapist",
                    },
                },
            )
        ],
    ),
    "patch": extend_schema(
        summary="Change a patient's time zone and reminder preferences",
        tags=["me"],
        request=MeUpdateInput,
        responses=MeOutput,
        examples=[
            OpenApiExample(
                "Evening only, in New York",
                value={"time_zone": "America/New_York", "session_times": ["19:30"]},
                request_only=True,
            )
        ],
    ),
}


# --- Today --------------------------------------------------------------------------------

TODAY: Methods = {
    "get": extend_schema(
        summary="Today: what is due on the patient's own date, and what is already logged",
        tags=["patient"],
        responses=TodayOutput,
        examples=[
            OpenApiExample(
                "Nothing logged yet",
                value={
                    "local_date": "2026-11-03",
                    "programme": EXAMPLE_UUID,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "week": 1,
                    "sessions": [{"slot": 1, "time": "08:00", "items": [], "log": None}],
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


# --- Session logs -------------------------------------------------------------------------

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
        summary="Replace what a session log holds (its date and slot stay)",
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
        summary="Change some of what a session log holds",
        tags=["patient"],
        request=SessionChangeInput,
        responses=SessionLogOutput,
        examples=[OpenApiExample("Pain only", value={"pain_after_nrs": 4}, request_only=True)],
    ),
    "delete": extend_schema(
        summary=f"Delete one of my session logs (within {DELETE_WINDOW_DAYS} days)",
        tags=["patient"],
        responses={204: None},
    ),
}


# --- Check-ins ----------------------------------------------------------------------------

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


# --- Questionnaires -----------------------------------------------------------------------

RESPONSE_EXAMPLE = {
    "client_uuid": "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "questionnaire": "lefs",
    "local_date": "2026-11-08",
    "answers": {f"a{n}": 3 for n in range(1, 21)},
    "logged_at": "2026-11-08T10:00:00+01:00",
}
RESPONSE_OUTPUT_EXAMPLE = {**RESPONSE_EXAMPLE, "id": EXAMPLE_UUID, "score": 60.0, "subscales": {}}

QUESTIONNAIRES: Methods = {
    "get": extend_schema(
        summary="Questionnaire definitions (VISA-A, LEFS, FAAM): items and answer choices",
        tags=["questionnaires"],
        examples=[
            OpenApiExample(
                "VISA-A (first item)",
                value={
                    "slug": "visa_a",
                    "name": "VISA-A",
                    "max_score": 100,
                    "higher_is_better": True,
                    "sources": ["R13"],
                    "items": [
                        {
                            "key": "q1",
                            "text": "…",
                            "section": "",
                            "choices": [{"value": 0, "label": "100 minutes or more"}],
                            "minimum": None,
                            "maximum": None,
                            "unit": "",
                            "allow_not_applicable": False,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    ),
}

QUESTIONNAIRE: Methods = {
    "get": extend_schema(
        summary="One questionnaire definition",
        tags=["questionnaires"],
        responses=QuestionnaireOutput,
        examples=[
            OpenApiExample(
                "LEFS",
                value={"slug": "lefs", "name": "LEFS", "max_score": 80, "items": []},
            )
        ],
    ),
}

QUESTIONNAIRE_RESPONSES: Methods = {
    "get": extend_schema(
        summary="List my questionnaire responses with their scores (newest first)",
        tags=["questionnaires"],
        examples=[OpenApiExample("Scored", value=RESPONSE_OUTPUT_EXAMPLE, response_only=True)],
    ),
    "post": extend_schema(
        summary="Answer a questionnaire; the response carries its score (idempotent)",
        tags=["questionnaires"],
        request=QuestionnaireResponseInput,
        responses={
            201: QuestionnaireResponseOutput,
            200: QuestionnaireResponseOutput,
            409: CONFLICT,
        },
        examples=[OpenApiExample("LEFS", value=RESPONSE_EXAMPLE, request_only=True)],
    ),
}

QUESTIONNAIRE_RESPONSE: Methods = {
    "get": extend_schema(
        summary="One of my questionnaire responses",
        tags=["questionnaires"],
        examples=[OpenApiExample("Scored", value=RESPONSE_OUTPUT_EXAMPLE)],
    ),
}


# --- Offline sync -------------------------------------------------------------------------

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
                        },
                        {
                            "index": 1,
                            "client_uuid": EXAMPLE_UUID,
                            "type": "session",
                            "status": "rejected",
                            "code": "invalid",
                            "message": "Some exercises are not in the current programme.",
                            "fields": {"exercises": [f"Unknown item {EXAMPLE_ITEM}."]},
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


# --- Notifications ------------------------------------------------------------------------

NOTIFICATIONS: Methods = {
    "get": extend_schema(
        summary="My notifications (newest first); ?unread=true for unread only",
        tags=["notifications"],
        examples=[
            OpenApiExample(
                "Reminder",
                value={
                    "id": EXAMPLE_UUID,
                    "kind": "session",
                    "title": "Time for your morning exercises",
                    "body": "",
                    "created_at": "2026-11-03T08:00:00Z",
                    "read_at": None,
                },
                response_only=True,
            )
        ],
    ),
}

MARK_NOTIFICATIONS_READ: Methods = {
    "post": extend_schema(
        summary="Mark notifications read (some, or all unread)",
        tags=["notifications"],
        request=MarkReadInput,
        responses=MarkReadOutput,
        examples=[
            OpenApiExample("Some", value={"ids": [EXAMPLE_UUID]}, request_only=True),
            OpenApiExample("All", value={}, request_only=True),
            OpenApiExample("Result", value={"marked": 1}, response_only=True),
        ],
    ),
}


# --- Therapist: caseload and patients -----------------------------------------------------

CASELOAD: Methods = {
    "get": extend_schema(
        summary="My caseload: each patient's week, phase, adherence, pain and open flags",
        tags=["therapist"],
        examples=[
            OpenApiExample(
                "One patient",
                value={
                    "patient": {"id": EXAMPLE_UUID, "name": "Pat Achilles", "username": "pat"},
                    "programme": EXAMPLE_UUID,
                    "condition": "Mid-portion Achilles tendinopathy",
                    "week": 2,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "adherence_7d": 85.7,
                    "latest_pain_nrs": 3,
                    "latest_pain_on": "2026-11-10",
                    "open_flags": [],
                },
                response_only=True,
            )
        ],
    ),
    "post": extend_schema(
        summary="Add a patient to my caseload",
        tags=["therapist"],
        request=PatientCreateInput,
        responses={201: PatientDetailOutput},
        examples=[
            OpenApiExample(
                "New patient",
                value={
                    "username": "sam.heel",
                    "first_name": "Sam",
                    "last_name": "Heel",
                    "email": "sam@example.org",
                    "time_zone": "Europe/London",
                },
                request_only=True,
            )
        ],
    ),
}

PATIENT_DETAIL: Methods = {
    "get": extend_schema(
        summary="A patient on my caseload: weekly trends, recent sessions, open flags",
        tags=["therapist"],
        responses=PatientDetailOutput,
        examples=[
            OpenApiExample(
                "Week 2",
                value={
                    "id": EXAMPLE_UUID,
                    "name": "Pat Achilles",
                    "username": "pat",
                    "email": "pat@example.org",
                    "time_zone": "Europe/London",
                    "date_of_birth": "1985-03-02",
                    "programme": EXAMPLE_UUID,
                    "progress": {
                        "questionnaire": "visa_a",
                        "weeks": [
                            {
                                "week": 1,
                                "starts_on": "2026-11-02",
                                "pain_during": 3.5,
                                "pain_morning": 3.0,
                                "adherence": 92.9,
                                "score": 61.0,
                                "subscales": {},
                            }
                        ],
                    },
                    "recent_sessions": [],
                    "open_flags": [],
                },
            )
        ],
    ),
}


# --- Therapist: flags ---------------------------------------------------------------------

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


# --- Privacy: data export -----------------------------------------------------------------

EXPORT_DESCRIPTION = (
    "Everything held about the patient: profile, diagnoses, programmes with every revision, "
    "session logs with each exercise entry, check-ins, questionnaire responses with scores, "
    "and flags. Each export is recorded in the audit trail."
)
ZIP_RESPONSE = {
    (200, "application/zip"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="A zip of CSV files: patient.csv, diagnoses.csv, programmes.csv, "
        "programme_revisions.csv, prescribed_exercises.csv, session_logs.csv, "
        "exercise_entries.csv, check_ins.csv, questionnaire_responses.csv, flags.csv.",
        examples=[OpenApiExample("Zip", value="(binary zip file)", response_only=True)],
    )
}
EXPORT_EXAMPLE = {
    "format_version": 1,
    "exported_at": "2026-11-20T09:00:00+00:00",
    "patient": {"id": EXAMPLE_UUID, "username": "pat.achilles", "time_zone": "Europe/London"},
    "diagnoses": [],
    "programmes": [],
    "session_logs": [SESSION_OUTPUT_EXAMPLE],
    "check_ins": [],
    "questionnaire_responses": [],
    "flags": [],
}
EXPORT_EXAMPLES = [OpenApiExample("Export", value=EXPORT_EXAMPLE, response_only=True)]

MY_EXPORT: Methods = {
    "get": extend_schema(
        summary="Download all my data as one JSON document",
        description=EXPORT_DESCRIPTION,
        tags=["patient"],
        responses={200: OpenApiTypes.OBJECT},
        examples=EXPORT_EXAMPLES,
    ),
}

MY_EXPORT_ZIP: Methods = {
    "get": extend_schema(
        summary="Download all my data as CSV files (one per kind of record) in a zip",
        description=EXPORT_DESCRIPTION,
        tags=["patient"],
        responses=ZIP_RESPONSE,
    ),
}

PATIENT_EXPORT: Methods = {
    "get": extend_schema(
        summary="Export a patient's whole record as JSON (recorded in the audit trail)",
        description=EXPORT_DESCRIPTION,
        tags=["therapist"],
        responses={200: OpenApiTypes.OBJECT},
        examples=EXPORT_EXAMPLES,
    ),
}

PATIENT_EXPORT_ZIP: Methods = {
    "get": extend_schema(
        summary="Export a patient's whole record as CSV files in a zip (recorded)",
        description=EXPORT_DESCRIPTION,
        tags=["therapist"],
        responses=ZIP_RESPONSE,
    ),
}
