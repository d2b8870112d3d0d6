"""The calendar feed as iCalendar text (RFC 5545), built with the `icalendar` library: pure,
events in, bytes out; no ORM, no clock (the stamp time is an argument)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

# Neutral on purpose: a calendar's name shows on the lock screen and in shared calendar lists.
CALENDAR_NAME = "Exercise programme"
PRODID = "-//Rehab planner//Exercise programme//EN"
# How often a calendar app should look again (a hint: Apple and others read these two).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    uid: str
    summary: str
    description: str
    starts_at: datetime  # aware, in the patient's zone
    url: str = ""


def build_calendar(
    *, events: list[FeedEvent], zone: ZoneInfo, sequence: int, stamped_at: datetime
) -> bytes:
    """One VEVENT per event, each with a display VALARM at its start (the due time); times
    carry the patient's TZID and the VTIMEZONE that defines it. `sequence` is the same for
    every event: it rises when the programme changes, so a calendar replaces its copies."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", CALENDAR_NAME)
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the same hour, as the older property spells it
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamped_at)
        event.add("sequence", sequence)
        # A moment, not a block of time (no DTEND: RFC 5545 then ends it where it starts): the
        # calendar says when it is due, not how long to spend (the dose is in the text).
        event.add("dtstart", item.starts_at)
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("transp", "TRANSPARENT")  # does not make the patient look busy
        event.add("class", "PRIVATE")
        if item.url:
            event.add("url", item.url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        calendar.add_component(event)
    # The zone's rules for the days the feed covers (and a day either side), not since 1970.
    days = [e.starts_at.date() for e in events] or [stamped_at.date()]
    calendar.add_missing_timezones(
        first_date=min(days) - timedelta(days=1), last_date=max(days) + timedelta(days=1)
    )
    return calendar.to_ical()
