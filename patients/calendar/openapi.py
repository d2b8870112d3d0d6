"""The OpenAPI documentation of the calendar link (`api.py` here). Nothing here runs on a
request; the shared error responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from patients.calendar.serializers import CalendarLinkOutput
from rehab.api_schema import Methods

FEED_DESCRIPTION = (
    "A private iCalendar feed (RFC 5545) of the patient's next 14 days: exercise sessions with "
    "their exercises and doses, the morning check-in, the weekly questionnaire and ice or heat, "
    "each with an alert at its time, in the patient's time zone; the same reminders the app "
    "plans (quiet hours, the daily limit and a red-flag pause included). It holds exercise "
    "names and times only. The feed is GET /calendar/<secret>.ics, with no sign-in: the secret "
    "is the credential. Reads are rate-limited per link (429 with Retry-After) and recorded in "
    "the audit trail."
)

ON_EXAMPLE = {
    "on": True,
    "created_at": "2026-11-20T09:00:00Z",
    "last_fetched_at": None,
    "https_url": "https://rehab.example.org/calendar/Vq3…Xk.ics",
    "webcal_url": "webcal://rehab.example.org/calendar/Vq3…Xk.ics",
}

MY_CALENDAR: Methods = {
    "get": extend_schema(
        summary="My calendar link: on or off, made when, last read when (never the link)",
        description=FEED_DESCRIPTION,
        tags=["patient"],
        responses=CalendarLinkOutput,
        examples=[
            OpenApiExample(
                "On",
                value={**ON_EXAMPLE, "https_url": None, "webcal_url": None},
                response_only=True,
            ),
        ],
    ),
    "post": extend_schema(
        summary="Turn my calendar link on, or make a new one (the old one stops working)",
        description=FEED_DESCRIPTION
        + " The answer holds the link's two addresses, this once: only a hash of the secret "
        "is kept. Every POST makes a new link.",
        tags=["patient"],
        request=None,
        responses={201: CalendarLinkOutput},
        examples=[OpenApiExample("Made", value=ON_EXAMPLE, response_only=True)],
    ),
    "delete": extend_schema(
        summary="Turn my calendar link off (it answers 404 from now on)",
        tags=["patient"],
        responses={204: OpenApiResponse(description="Off (also when it was already off).")},
    ),
}
