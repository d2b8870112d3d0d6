"""The OpenAPI documentation of the data exports (`api.py` here): per view, the `extend_schema`
of each HTTP method (summary, tags, bodies, examples), attached with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from patients.activity.openapi import SESSION_OUTPUT_EXAMPLE
from patients.privacy.serializers import ExportOutput
from rehab.api_schema import EXAMPLE_UUID, Methods

EXPORT_DESCRIPTION = (
    "Everything held about the patient: profile, diagnoses, programmes with every revision, "
    "session logs with each exercise entry, check-ins, questionnaire responses with scores, "
    "and flags. Each export is recorded in the audit trail."
)


ZIP_DESCRIPTION = (
    "A zip of CSV files: patient.csv, diagnoses.csv, programmes.csv, programme_revisions.csv, "
    "prescribed_exercises.csv, session_logs.csv, exercise_entries.csv, check_ins.csv, "
    "questionnaire_responses.csv, flags.csv. Sent as `application/zip`, or as "
    "`application/octet-stream` to a client whose Accept header asks only for that."
)
# The same file under both types: generated clients read `application/octet-stream` as a
# file (openapi-python-client has no reader for `application/zip` and would drop the 200).
ZIP_RESPONSE = {
    (200, media_type): OpenApiResponse(
        OpenApiTypes.BINARY,
        description=ZIP_DESCRIPTION,
        examples=[OpenApiExample("Zip", value="(binary zip file)", response_only=True)],
    )
    for media_type in ("application/zip", "application/octet-stream")
}


EXPORT_EXAMPLE = {
    "format_version": 1,
    "exported_at": "2026-11-20T09:00:00+00:00",
    "patient": {
        "id": EXAMPLE_UUID,
        "username": "pat.achilles",
        "first_name": "Pat",
        "last_name": "Achilles",
        "email": "",
        "phone": "",
        "date_of_birth": None,
        "time_zone": "Europe/London",
        "session_times": ["08:00", "18:00"],
        "email_reminders": True,
        "push_reminders": True,
        "mobile_reminders": True,
        "quiet_start": "21:00:00",
        "quiet_end": "07:00:00",
        "therapist": "Dana Therapist",
        "joined": "2026-11-01T10:00:00+00:00",
    },
    "diagnoses": [],
    "programmes": [],
    "session_logs": [
        {
            name: SESSION_OUTPUT_EXAMPLE[name]
            for name in (
                "id",
                "programme",
                "local_date",
                "slot",
                "status",
                "skip_reason",
                "pain_after_nrs",
                "logged_at",
            )
        }
        | {
            "exercises": [
                {k: v for k, v in entry.items() if k != "item_key"}
                for entry in SESSION_OUTPUT_EXAMPLE["exercises"]  # type: ignore[attr-defined]
            ]
        }
    ],
    "check_ins": [],
    "questionnaire_responses": [],
    "flags": [],
    "push_devices": [],
    "app_devices": [],
}


EXPORT_EXAMPLES = [OpenApiExample("Export", value=EXPORT_EXAMPLE, response_only=True)]


MY_EXPORT: Methods = {
    "get": extend_schema(
        summary="Download all my data as one JSON document",
        description=EXPORT_DESCRIPTION,
        tags=["patient"],
        responses={200: ExportOutput},
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
        responses={200: ExportOutput},
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
