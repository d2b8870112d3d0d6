"""The calendar feed (no sign-in: the secret in the address is the credential) and the
Reminders page's calendar buttons."""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from rest_framework.throttling import SimpleRateThrottle

from patients.calendar.ical import build_calendar
from patients.calendar.selectors import calendar_feed, calendar_feed_of_secret, secret_sha256
from patients.calendar.services import (
    make_calendar_link,
    record_calendar_read,
    revoke_calendar_link,
)
from patients.reminders.views import render_preferences
from patients.schedule import local_today
from patients.web import current_patient
from rehab.views import patient_required

# A calendar app reads again within minutes at most; private: never in a shared cache.
FEED_CACHE_CONTROL = "private, max-age=300"


class CalendarFeedThrottle(SimpleRateThrottle):
    """Reads per link (REST_FRAMEWORK's "calendar" rate), counted under the secret's hash,
    so the cache never holds a working secret."""

    scope = "calendar"

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.ident = secret_sha256(secret)

    def get_cache_key(self, request: object, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


def _unlogged(response: HttpResponse) -> HttpResponse:
    # Django logs every 4xx with its path (django.request), and the path holds the secret:
    # these answers are counted by the throttle and the access log (which masks it) instead.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@require_safe
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    throttle = CalendarFeedThrottle(secret)
    # A plain view (the feed is iCalendar, not the API's JSON): the throttle's own key above
    # reads neither the DRF request nor a view.
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        retry_after = math.ceil(throttle.wait() or 1)
        return _unlogged(
            HttpResponse(
                "Too many reads of this calendar link; try again later.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
                headers={"Retry-After": str(retry_after)},
            )
        )
    found = calendar_feed_of_secret(secret)
    if found is None:
        return _unlogged(HttpResponse("No such calendar.\n", status=404, content_type="text/plain"))
    now, patient = timezone.now(), found.patient
    events = calendar_feed(
        patient, today=local_today(patient, now), site=request.build_absolute_uri("/")
    )
    record_calendar_read(feed=found, now=now)
    body = build_calendar(
        events=events.events, zone=patient.zone, sequence=events.sequence, stamped_at=now
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = FEED_CACHE_CONTROL
    response["Content-Disposition"] = 'inline; filename="exercise-programme.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@patient_required
@require_POST
def calendar_link(request: HttpRequest) -> HttpResponse:
    """Turn the link on or make a new one (the page then shows it, once), or turn it off."""
    patient = current_patient(request)
    if request.POST.get("action") == "off":
        revoke_calendar_link(patient=patient)
        messages.success(request, "Your calendar link is off: calendars using it stop updating.")
        return redirect("preferences")
    secret = make_calendar_link(patient=patient)
    response = render_preferences(request, patient, new_secret=secret)
    response["Cache-Control"] = "no-store"  # the page holds the secret
    return response
