"""When things fall due on a patient's own dates: pure functions, no ORM, no clock.

One definition each, read by Today (activity/selectors.py), the reminders (reminders/rules.py
and reminders/services.py) and the monitoring rules alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Protocol

from django.db import models

from patients.models import (
    Patient,
)
from programmes.models import (
    IceHeatSlot,
    ProgrammeItem,
)

WEEK = 7  # days: the one definition (monitoring windows, reminders, questionnaires)


def questionnaire_due_on(*, last_on: date | None, started_on: date) -> date:
    """The weekly questionnaire is due from the programme's first day until answered, then a
    week after each response."""
    return started_on if last_on is None else last_on + timedelta(days=WEEK)


def questionnaire_due(*, last_on: date | None, today: date) -> bool:
    """Whether the weekly questionnaire is due on the patient's `today`."""
    return last_on is None or (today - last_on).days >= WEEK


def local_today(patient: Patient, now: datetime) -> date:
    return now.astimezone(patient.zone).date()


class SessionDose(Protocol):
    """What `sessions_per_week` reads of an item (a ProgrammeItem or its two columns)."""

    @property
    def times_per_day(self) -> int | None: ...

    @property
    def days_per_week(self) -> int | None: ...


def sessions_per_week(items: Sequence[SessionDose]) -> int:
    """Twice-daily items make two sessions a day; 3-days-a-week items three sessions a week."""
    if not items:
        return 0
    per_day = max(item.times_per_day or 1 for item in items)
    days = max(item.days_per_week or WEEK for item in items)
    return per_day * days


def item_due_on(item: ProgrammeItem, day: date, started_on: date) -> bool:
    """Items done on n days a week are spread evenly (3 → Mon, Wed, Fri); daily otherwise."""
    if day < started_on:
        return False
    return day.weekday() in training_weekdays(item.days_per_week or WEEK)


def items_in_session(
    items: Sequence[ProgrammeItem], day: date, started_on: date, slot: int
) -> list[ProgrammeItem]:
    """The items of session `slot` (1, 2, …) on `day`: those due that day and done at least
    `slot` times a day (Today and the calendar feed)."""
    return [
        item
        for item in items
        if item_due_on(item, day, started_on) and (item.times_per_day or 1) >= slot
    ]


def sessions_due_on(items: list[ProgrammeItem], day: date, started_on: date) -> int:
    """How many sessions fall on `day`: the most times-per-day among the items due that day."""
    return max(
        (item.times_per_day or 1 for item in items if item_due_on(item, day, started_on)),
        default=0,
    )


def ice_heat_due_on(
    slots: list[IceHeatSlot], day: date, started_on: date, injured_on: date | None = None
) -> list[IceHeatSlot]:
    """The slots due on `day`. A slot's days count from the injury (`injured_on`, the
    diagnosis's onset date) when known, else from the programme's start (F22: ice for the
    first days after the injury [R28]); nothing is due before the programme starts."""
    if day < started_on:
        return []
    day_index = (day - min(injured_on or started_on, started_on)).days
    return [
        s for s in slots if day_index >= s.from_day and (s.to_day is None or day_index <= s.to_day)
    ]


def ice_heat_dates(
    slot: IceHeatSlot, started_on: date, injured_on: date | None = None
) -> tuple[date, date | None] | None:
    """The first and last date `slot` falls due (last None: while the programme runs), as
    `ice_heat_due_on` counts the days; None when its days are over before the programme
    starts."""
    day_zero = min(injured_on or started_on, started_on)
    first = max(started_on, day_zero + timedelta(days=slot.from_day))
    last = None if slot.to_day is None else day_zero + timedelta(days=slot.to_day)
    if last is not None and last < first:
        return None
    return first, last


def phase_start(started_on: date, start_week: int) -> date:
    """The first day of programme week `start_week` (week 1 starts on `started_on`)."""
    return started_on + timedelta(days=(start_week - 1) * WEEK)


class Started(Protocol):
    """What `programme_week` reads of a programme."""

    @property
    def started_on(self) -> date: ...


def programme_week(programme: Started, today: date) -> int:
    """Week 1 is the first seven days of the programme."""
    return max(0, (today - programme.started_on).days) // WEEK + 1


def training_weekdays(days_per_week: int) -> frozenset[int]:
    """Spread n training days evenly over the week (Monday = 0): 3 → Mon, Wed, Fri."""
    n = max(0, min(WEEK, days_per_week))
    return frozenset(round(i * WEEK / n) % WEEK for i in range(n)) if n else frozenset()


# --- A day's sessions against the clock ---------------------------------------------------


class SessionState(models.TextChoices):
    """Where one of today's sessions stands at a moment of the patient's day; the label is
    what Today shows beside it."""

    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    MISSED = "missed", "Missed, but you can still do it today"
    DUE = "due", "Due now"
    UPCOMING = "upcoming", "Still to do"


def _clock(value: str) -> time | None:
    """A stored "HH:MM" reminder time; None for anything else (an empty slot time, or a value
    the admin let through), which then cuts nothing."""
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def session_states(
    *, slots: Sequence[tuple[int, str]], times: Sequence[str], logged: Mapping[int, str], now: time
) -> dict[int, SessionState]:
    """The state of each of today's sessions (`slots`: slot number and its "HH:MM" time) at
    the patient's wall-clock `now`, given the day's logs (`logged`: slot → "done" or
    "skipped").

    No threshold of its own: the patient's reminder times (`times`) cut the day into
    stretches. A session is upcoming before its time, due from its time until the patient's
    next reminder time (the last one until midnight), missed after that while not logged. A
    session without a time (more sessions than reminder times) is due all day."""
    marks = sorted(t for t in (_clock(v) for v in times) if t is not None)
    states = {}
    for slot, value in slots:
        if slot in logged:
            states[slot] = SessionState(logged[slot])
            continue
        at = _clock(value)
        if at is None:
            states[slot] = SessionState.DUE
        elif now < at:
            states[slot] = SessionState.UPCOMING
        elif any(at < mark <= now for mark in marks):
            states[slot] = SessionState.MISSED
        else:
            states[slot] = SessionState.DUE
    return states


def late_in_day(*, times: Sequence[str], now: time) -> bool:
    """Late in the patient's day: at or after their last reminder time (their own session
    times; no clock of ours)."""
    marks = [t for t in (_clock(v) for v in times) if t is not None]
    return bool(marks) and now >= max(marks)


def current_slot(states: Mapping[int, SessionState]) -> int | None:
    """The session to show first: the first one due now, else the next one to come, else the
    first missed one; None when every session is logged."""
    for wanted in (SessionState.DUE, SessionState.UPCOMING, SessionState.MISSED):
        found = [slot for slot, state in sorted(states.items()) if state == wanted]
        if found:
            return found[0]
    return None
