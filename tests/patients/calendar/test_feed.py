"""The calendar feed (issue 16, requirement 1): what a calendar app reads from a patient's
private link, parsed with `icalendar` and checked against the reminders the planner plans."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from patients.activity.services import record_check_in
from patients.calendar import selectors
from patients.calendar import views as calendar_views
from patients.calendar.selectors import FEED_DAYS, event_uid
from patients.calendar.services import make_calendar_link, revoke_calendar_link
from patients.models import CalendarFeed, Flag, Reminder
from patients.monitoring.services import resolve_flag
from patients.prescribing.services import end_programme
from patients.privacy.services import anonymise_patient
from patients.reminders.rules import reminders_for
from patients.reminders.services import plan_reminders, reminder_facts
from programmes.services import ChangeDose, MovePhase, adjust_programme
from tests import factories
from tests.factories import NOW
from tests.patients.recording import report_red_flag

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = NOW.astimezone(LONDON).date()  # Friday 20 November 2026, week 3


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """Every feed test runs at NOW."""


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()  # the throttle counts in the cache, which outlives a test's transaction
    yield
    cache.clear()


def _read(secret: str, **headers: str) -> Any:
    return Client().get(f"/calendar/{secret}.ics", **headers)


def _feed(secret: str) -> Calendar:
    response = _read(secret)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _expected(patient: Any, days: list[date], *, paused: bool = False) -> dict[str, datetime]:
    """The reminders' own rule for these days: uid → due time (UTC)."""
    facts = reminder_facts(patient, patient.programmes.get(status="active"))
    return {
        event_uid(patient, day, r.slot): r.due_at
        for day in days
        for r in reminders_for(facts, day, paused=paused)
    }


def _due(events: dict[str, Any]) -> dict[str, datetime]:
    return {uid: event.DTSTART.astimezone(ZoneInfo("UTC")) for uid, event in events.items()}


def test_every_event_is_a_reminder_the_planner_plans_for_the_same_days(programme: Any) -> None:
    patient = programme.patient
    plan_reminders(now=NOW)
    planned = Reminder.objects.filter(patient=patient, local_date__gte=TODAY)
    assert {r.local_date for r in planned} == {TODAY, TODAY + timedelta(days=1)}
    events = _events(_feed(make_calendar_link(patient=patient)))

    # The two days the planner has materialised: the same reminders, at the same instants.
    by_planner = {event_uid(patient, r.local_date, r.slot): r.due_at for r in planned}
    in_feed = {
        uid: due
        for uid, due in _due(events).items()
        if due.astimezone(LONDON).date() <= TODAY + timedelta(days=1)
    }
    assert in_feed == by_planner
    assert {r.kind for r in planned} == {"check_in", "session", "heat"}

    # All fourteen days: the reminders' own rule, day by day.
    days = [TODAY + timedelta(days=n) for n in range(FEED_DAYS)]
    assert _due(events) == _expected(patient, days)
    summaries = sorted(str(e["SUMMARY"]) for e in events.values())
    # Each day: the check-in, sessions at 08:00 and 18:00, heat twice; the questionnaire weekly.
    assert summaries.count("Morning check-in") == FEED_DAYS
    assert summaries.count("Exercises (session 2)") == FEED_DAYS
    assert summaries.count("Heat, up to 15 minutes") == 2 * FEED_DAYS
    assert summaries.count("Weekly questionnaire") == 2


def test_each_event_has_an_alarm_at_its_time_in_the_patients_zone(programme: Any) -> None:
    calendar = _feed(make_calendar_link(patient=programme.patient))
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/London"
    assert str(calendar["X-WR-CALNAME"]) == "Exercise programme"
    for event in calendar.walk("VEVENT"):
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        (alarm,) = event.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY"
        assert alarm["TRIGGER"].dt == timedelta(0)  # relative to the start: at the due time
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])


def test_a_session_event_lists_the_exercises_and_doses_of_that_session(programme: Any) -> None:
    events = _events(_feed(make_calendar_link(patient=programme.patient)))
    session_1 = events[event_uid(programme.patient, TODAY, "session:1")]
    session_2 = events[event_uid(programme.patient, TODAY, "session:2")]
    items = factories.current_items(programme)
    assert str(session_1["SUMMARY"]) == "Exercises (session 1)"
    assert all(item.exercise.name in str(session_1["DESCRIPTION"]) for item in items)
    twice = [item.exercise.name for item in items if (item.times_per_day or 1) >= 2]
    assert twice
    assert sorted(str(session_2["DESCRIPTION"]).splitlines()) == sorted(
        line for line in str(session_1["DESCRIPTION"]).splitlines() if line.split(":")[0] in twice
    )
    assert "3 sets of 10" in str(session_1["DESCRIPTION"])  # the dose, in plain words


def test_quiet_hours_and_the_daily_cap_hold_in_the_feed_as_in_the_reminders(
    programme: Any,
) -> None:
    patient = programme.patient
    patient.quiet_start, patient.quiet_end = time(17), time(7)  # 18:00 and 19:30 fall in it
    patient.daily_reminder_cap = 2
    patient.save()
    events = _events(_feed(make_calendar_link(patient=patient)))
    days = [TODAY + timedelta(days=n) for n in range(FEED_DAYS)]
    assert _due(events) == _expected(patient, days)
    local_times = {e.DTSTART.astimezone(LONDON).time() for e in events.values()}
    assert local_times == {time(7, 30), time(8)}  # heat at 07:30, then the cap
    per_day: dict[date, int] = {}
    for event in events.values():
        per_day[event.DTSTART.date()] = per_day.get(event.DTSTART.date(), 0) + 1
    assert set(per_day.values()) == {2}


def test_times_are_in_the_patients_own_zone_with_its_vtimezone(programme: Any) -> None:
    patient = programme.patient
    patient.time_zone = "America/New_York"
    patient.save()
    calendar = _feed(make_calendar_link(patient=patient))
    assert {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")} == {"America/New_York"}
    events = _events(calendar)
    today = NOW.astimezone(ZoneInfo("America/New_York")).date()
    check_in = events[event_uid(patient, today, "check_in")]
    assert check_in["DTSTART"].params["TZID"] == "America/New_York"
    assert check_in.DTSTART.time() == time(8)  # 08:00 on the patient's own clock
    assert check_in.DTSTART.utcoffset() == timedelta(hours=-5)


def test_a_programme_change_bumps_the_sequence_and_replaces_events_under_the_same_uids(
    programme: Any,
) -> None:
    patient = programme.patient
    secret = make_calendar_link(patient=patient)
    before = _events(_feed(secret))
    assert {int(e["SEQUENCE"]) for e in before.values()} == {1}
    item = factories.current_items(programme)[0]
    adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=ChangeDose(item=item.key, dose={"sets": 2, "reps": 8}),
        reason="Easier for a week",
    )
    after = _events(_feed(secret))
    assert set(after) == set(before)  # the same events: a calendar updates them in place
    assert {int(e["SEQUENCE"]) for e in after.values()} == {2}
    session = event_uid(patient, TODAY, "session:1")
    assert f"{item.exercise.name}: 2 sets of 8" in str(after[session]["DESCRIPTION"])
    assert str(after[session]["DESCRIPTION"]) != str(before[session]["DESCRIPTION"])

    adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=MovePhase(to_phase=2),
        reason="Ready for phase 2",
    )
    moved = _events(_feed(secret))
    assert {int(e["SEQUENCE"]) for e in moved.values()} == {3}
    days = [TODAY + timedelta(days=n) for n in range(FEED_DAYS)]
    assert _due(moved) == _expected(patient, days)  # the new phase's plan, as the reminders


def test_a_paused_programme_gives_no_session_events_until_the_flag_is_resolved(
    programme: Any,
) -> None:
    patient = programme.patient
    secret = make_calendar_link(patient=patient)
    report_red_flag(patient, NOW)
    plan_reminders(now=NOW)
    paused = _events(_feed(secret))
    summaries = {str(e["SUMMARY"]) for e in paused.values()}
    assert summaries == {"Morning check-in"}  # F3: the check-in goes on, nothing else
    days = [TODAY + timedelta(days=n) for n in range(FEED_DAYS)]
    assert _due(paused) == _expected(patient, days, paused=True)
    planned = Reminder.objects.filter(patient=patient, local_date__gte=TODAY, status="pending")
    assert {r.kind for r in planned} == {"check_in"}  # the planner agrees

    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    resolve_flag(flag=flag, by=patient.therapist.user, note="Seen in clinic", now=NOW)
    resumed = _events(_feed(secret))
    assert event_uid(patient, TODAY + timedelta(days=1), "session:1") in resumed


def test_an_ended_programme_gives_no_events(programme: Any) -> None:
    secret = make_calendar_link(patient=programme.patient)
    end_programme(programme=programme, by=programme.patient.therapist.user, now=NOW)
    calendar = _feed(secret)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "Exercise programme"  # still a valid calendar


def test_no_heat_while_the_latest_check_in_leaves_swelling_possible(programme: Any) -> None:
    patient = programme.patient
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=TODAY,
        morning_pain_nrs=2,
        stiffness_minutes=5,
        red_flags=[],
        swelling=True,
        logged_at=NOW,
        now=NOW,
    )
    summaries = {
        str(e["SUMMARY"]) for e in _events(_feed(make_calendar_link(patient=patient))).values()
    }
    assert not any(s.startswith("Heat") for s in summaries)
    assert "Exercises (session 1)" in summaries


def test_the_feed_holds_no_health_data(programme: Any) -> None:
    patient = programme.patient
    patient.user.first_name, patient.user.last_name = "Zebedee", "Quarrington"
    patient.user.save()
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=TODAY,
        morning_pain_nrs=6,
        stiffness_minutes=30,
        red_flags=[],
        swelling=False,
        logged_at=NOW,
        now=NOW,
    )
    text = _read(make_calendar_link(patient=patient)).content.decode().lower()
    condition = programme.condition
    forbidden = [
        condition.name,
        condition.slug,
        "achilles",
        "tendin",
        "diagnos",
        "pain",
        "sore",
        "hurt",
        "swollen",
        "red flag",
        "nrs",
        patient.user.first_name,
        patient.user.last_name,
        patient.user.username,
        str(patient.pk),
    ]
    found = [word for word in forbidden if word.lower() in text]
    assert found == []


def test_the_link_answers_with_private_short_caching(programme: Any) -> None:
    response = _read(make_calendar_link(patient=programme.patient))
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"


def test_an_unknown_or_revoked_link_is_404(programme: Any) -> None:
    patient = programme.patient
    assert _read("not-a-secret").status_code == 404
    secret = make_calendar_link(patient=patient)
    assert _read(secret).status_code == 200
    assert revoke_calendar_link(patient=patient) is True
    assert _read(secret).status_code == 404
    assert revoke_calendar_link(patient=patient) is False


def test_a_new_link_stops_the_old_one_and_keeps_the_events(programme: Any) -> None:
    patient = programme.patient
    old = make_calendar_link(patient=patient)
    before = _events(_feed(old))
    new = make_calendar_link(patient=patient)
    assert new != old
    assert _read(old).status_code == 404
    assert set(_events(_feed(new))) == set(before)  # the UIDs do not come from the secret
    assert CalendarFeed.objects.filter(patient=patient).count() == 1


def test_only_a_hash_of_the_secret_is_stored(programme: Any) -> None:
    secret = make_calendar_link(patient=programme.patient)
    assert len(secret) >= 43  # 256 random bits
    feed = CalendarFeed.objects.get(patient=programme.patient)
    assert feed.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM patients_calendarfeed")
        assert secret not in repr(cursor.fetchall())


def test_an_anonymised_patients_link_stops_working(programme: Any, django_user_model: Any) -> None:
    patient = programme.patient
    secret = make_calendar_link(patient=patient)
    admin = django_user_model.objects.create_superuser("admin", "", "pw-admin-123456")
    anonymise_patient(patient=patient, by=admin, reason="Request 42", now=NOW)
    assert _read(secret).status_code == 404
    assert not CalendarFeed.objects.filter(patient=patient).exists()


def test_reads_are_throttled_per_link_with_retry_after(
    programme: Any, stranger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        calendar_views.CalendarFeedThrottle, "THROTTLE_RATES", {"calendar": "3/hour"}
    )
    secret = make_calendar_link(patient=programme.patient)
    assert [_read(secret).status_code for _ in range(3)] == [200, 200, 200]
    refused = _read(secret)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    other = make_calendar_link(patient=stranger)
    assert _read(other).status_code == 200  # counted per link, not for everyone
    # The cache keys hold the secret's hash, never the secret.
    keys = list(getattr(cache, "_cache", {}))
    assert keys
    assert not any(secret in key for key in keys)


def test_each_read_is_in_the_audit_trail_as_the_patients(programme: Any) -> None:
    patient = programme.patient
    secret = make_calendar_link(patient=patient)
    _read(secret, REMOTE_ADDR="203.0.113.9")
    (entry,) = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(patient.pk))
    assert entry.additional_data == {"access": "calendar feed"}
    assert entry.actor_id == patient.user_id
    assert entry.remote_addr == "203.0.113.9"  # as every entry stores it, nothing more
    assert secret not in repr(entry.__dict__)
    assert CalendarFeed.objects.get(patient=patient).last_fetched_at == NOW


def test_a_refused_read_does_not_log_the_secret(
    programme: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = make_calendar_link(patient=programme.patient)
    revoke_calendar_link(patient=programme.patient)
    with caplog.at_level(logging.DEBUG):
        assert _read(secret).status_code == 404
    assert secret not in caplog.text


def test_a_read_costs_the_same_queries_for_one_day_or_fourteen(
    programme: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = make_calendar_link(patient=programme.patient)
    counts = []
    for days in (1, FEED_DAYS):
        monkeypatch.setattr(selectors, "FEED_DAYS", days)
        with CaptureQueriesContext(connection) as captured:
            assert _read(secret).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert 5 <= counts[1] <= 15  # the link, the programme's facts, the pause, the audit entry


def test_across_a_clock_change_the_time_stays_the_patients_own(programme: Any) -> None:
    patient = programme.patient
    secret = make_calendar_link(patient=patient)
    before_change = datetime(2027, 3, 20, 9, 0, tzinfo=LONDON)  # BST begins on 28 March
    with time_machine.travel(before_change, tick=False):
        calendar = _feed(secret)
    (zone,) = calendar.walk("VTIMEZONE")
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    events = _events(calendar)
    winter = events[event_uid(patient, date(2027, 3, 27), "check_in")].DTSTART
    summer = events[event_uid(patient, date(2027, 3, 29), "check_in")].DTSTART
    assert winter.time() == summer.time() == time(8)
    assert (winter.utcoffset(), summer.utcoffset()) == (timedelta(0), timedelta(hours=1))
