"""The calendar link through the API (issue 16): GET its state, POST a new link (returned
once), DELETE it; `/me/` shows whether it is on."""

from __future__ import annotations

from typing import Any

from django.test import Client
from icalendar import Calendar

from patients.models import CalendarFeed


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_patient_turns_the_link_on_reads_it_and_turns_it_off(as_patient: Any) -> None:
    assert as_patient.get("/api/v1/me/calendar/").json() == {
        "on": False,
        "created_at": None,
        "last_fetched_at": None,
        "https_url": None,
        "webcal_url": None,
    }
    made = as_patient.post("/api/v1/me/calendar/")
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store, private"  # as everything a signed-in user gets
    body = made.json()
    assert body["on"] is True
    assert body["https_url"].startswith("http://testserver/calendar/")
    assert body["https_url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["https_url"].split("://", 1)[1]

    feed = Client().get(_path(body["https_url"]))
    assert feed.status_code == 200
    assert Calendar.from_ical(feed.content).walk("VEVENT")

    state = as_patient.get("/api/v1/me/calendar/").json()
    assert state["on"] is True
    assert state["last_fetched_at"] == "2026-11-20T09:00:00Z"
    assert state["https_url"] is None  # never shown again: only its hash is kept
    assert as_patient.get("/api/v1/me/").json()["patient"]["calendar_link"] is True

    assert as_patient.delete("/api/v1/me/calendar/").status_code == 204
    assert Client().get(_path(body["https_url"])).status_code == 404
    assert as_patient.get("/api/v1/me/calendar/").json()["on"] is False
    assert as_patient.get("/api/v1/me/").json()["patient"]["calendar_link"] is False
    assert as_patient.delete("/api/v1/me/calendar/").status_code == 204  # already off: fine


def test_a_second_post_makes_a_new_link_and_the_old_one_stops(as_patient: Any) -> None:
    first = as_patient.post("/api/v1/me/calendar/").json()["https_url"]
    second = as_patient.post("/api/v1/me/calendar/").json()["https_url"]
    assert first != second
    assert Client().get(_path(first)).status_code == 404
    assert Client().get(_path(second)).status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_a_post_with_an_idempotency_key_is_not_stored_with_its_secret(as_patient: Any) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "calendar-1"}
    first = as_patient.post("/api/v1/me/calendar/", **headers).json()["https_url"]
    second = as_patient.post("/api/v1/me/calendar/", **headers).json()["https_url"]
    assert first != second  # not replayed: a stored reply would hold the secret


def test_each_patient_has_their_own_link(as_patient: Any, as_stranger: Any) -> None:
    as_patient.post("/api/v1/me/calendar/")
    assert as_stranger.get("/api/v1/me/calendar/").json()["on"] is False
    assert as_stranger.delete("/api/v1/me/calendar/").status_code == 204
    assert CalendarFeed.objects.count() == 1  # the stranger cannot turn another's off


def test_only_patients_have_a_calendar_link(as_therapist: Any, anonymous: Any) -> None:
    assert as_therapist.get("/api/v1/me/calendar/").status_code == 403
    assert as_therapist.post("/api/v1/me/calendar/").status_code == 403
    assert anonymous.get("/api/v1/me/calendar/").status_code == 401
    assert anonymous.post("/api/v1/me/calendar/").status_code == 401
