"""The OpenAPI documentation of me, the caseload, a patient's record (`api.py` here): per view,
the `extend_schema` of each HTTP method (summary, tags, bodies, examples), attached with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.people.serializers import (
    MeOutput,
    MeUpdateInput,
    PatientContactInput,
    PatientCreateInput,
    PatientDetailOutput,
)
from rehab.api_schema import EXAMPLE_UUID, Methods

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
                        "push_reminders": True,
                        "mobile_reminders": True,
                        "quiet_start": "21:00:00",
                        "quiet_end": "07:00:00",
                        "daily_reminder_cap": 6,
                        "therapist_name": "Dana Therapist",
                        "calendar_link": False,
                    },
                },
            )
        ],
    ),
    "patch": extend_schema(
        summary="Change a patient's time zone and reminder preferences",
        description="Send only what changes. The channels a reminder takes besides the "
        "in-app notice (always on): `email_reminders`, `push_reminders` (web push) and "
        "`mobile_reminders` (the mobile apps, /devices/); the calendar is its link, turned "
        "on and off at /me/calendar/. Each channel is delivered on its own: one that fails "
        "never holds up another, and none sends a reminder twice.",
        tags=["me"],
        request=MeUpdateInput,
        responses=MeOutput,
        examples=[
            OpenApiExample(
                "Evening only, in New York",
                value={"time_zone": "America/New_York", "session_times": ["19:30"]},
                request_only=True,
            ),
            OpenApiExample(
                "Reminders on the phone only",
                value={"email_reminders": False, "push_reminders": False, "mobile_reminders": True},
                request_only=True,
            ),
        ],
    ),
}


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
    "patch": extend_schema(
        summary="Correct how the clinic reaches a patient: phone number and e-mail",
        description="As the patient page's contact form: send only what changes; an empty "
        "string clears it. The phone number follows the web form's rule and messages (digits, "
        "spaces, +, -, brackets; 7 to 20 characters with at least 7 digits), surrounding "
        "spaces removed. Only the patient's own therapist (another's patient is a 404).",
        tags=["therapist"],
        request=PatientContactInput,
        responses=PatientDetailOutput,
        examples=[
            OpenApiExample(
                "New mobile number", value={"phone": "+44 7700 900123"}, request_only=True
            )
        ],
    ),
}
