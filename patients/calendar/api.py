"""The signed-in patient's calendar link through the API: its state, a new link, off."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from patients.calendar import openapi
from patients.calendar.links import CalendarLinks, calendar_links
from patients.calendar.selectors import calendar_feed_of
from patients.calendar.serializers import CalendarLinkOutput
from patients.calendar.services import make_calendar_link, revoke_calendar_link
from patients.web import PatientApi


@extend_schema_view(**openapi.MY_CALENDAR)
class MyCalendarApi(PatientApi):
    def get(self, request: Request) -> Response:
        return Response(CalendarLinkOutput(self._state()).data)

    def post(self, request: Request) -> Response:
        # No Idempotency-Key replay here on purpose: the stored reply would hold the secret.
        secret = make_calendar_link(patient=self.patient)
        state = self._state(calendar_links(request, secret))
        response = Response(CalendarLinkOutput(state).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def delete(self, request: Request) -> Response:
        revoke_calendar_link(patient=self.patient)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _state(self, links: CalendarLinks | None = None) -> dict[str, Any]:
        feed = calendar_feed_of(self.patient)
        return {
            "on": feed is not None,
            "created_at": feed.created_at if feed else None,
            "last_fetched_at": feed.last_fetched_at if feed else None,
            "https_url": links.https if links else None,
            "webcal_url": links.webcal if links else None,
        }
