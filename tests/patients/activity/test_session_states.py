"""Where each of today's sessions stands against the patient's own clock (issue 15,
requirement 6): the one rule (`patients.schedule.session_states`), read by Today on the web and
by GET /api/v1/today/."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from patients.activity.selectors import today_for
from patients.schedule import SessionState, current_slot, late_in_day, session_states
from tests import factories
from tests.factories import STARTED
from tests.patients.recording import session_on

TWICE = [(1, "08:00"), (2, "18:00")]
TIMES = ["08:00", "18:00"]
S = SessionState


@pytest.mark.parametrize(
    ("now", "logged", "expected", "current", "late"),
    [
        (time(6, 30), {}, {1: S.UPCOMING, 2: S.UPCOMING}, 1, False),  # before the first time
        (time(8, 0), {}, {1: S.DUE, 2: S.UPCOMING}, 1, False),  # at its time
        (time(17, 59), {}, {1: S.DUE, 2: S.UPCOMING}, 1, False),  # until the next time
        (time(9, 0), {1: "done"}, {1: S.DONE, 2: S.UPCOMING}, 2, False),  # next one comes first
        (time(18, 0), {}, {1: S.MISSED, 2: S.DUE}, 2, True),  # the next time has come
        (time(23, 30), {}, {1: S.MISSED, 2: S.DUE}, 2, True),  # the last one: due to midnight
        (time(23, 30), {2: "skipped"}, {1: S.MISSED, 2: S.SKIPPED}, 1, True),
        (time(23, 30), {1: "done", 2: "done"}, {1: S.DONE, 2: S.DONE}, None, True),
    ],
)
def test_each_session_is_upcoming_due_or_missed_by_the_patients_own_times(
    now: time, logged: dict[int, str], expected: dict[int, SessionState], current: Any, late: bool
) -> None:
    states = session_states(slots=TWICE, times=TIMES, logged=logged, now=now)
    assert states == expected
    assert current_slot(states) == current
    assert late_in_day(times=TIMES, now=now) is late


def test_a_once_a_day_session_is_missed_once_the_patients_next_reminder_time_has_come() -> None:
    # Strengthening once a day at 08:00 for a patient reminded at 08:00 and 18:00.
    assert session_states(slots=[(1, "08:00")], times=TIMES, logged={}, now=time(12)) == {1: S.DUE}
    evening = session_states(slots=[(1, "08:00")], times=TIMES, logged={}, now=time(19))
    assert evening == {1: S.MISSED}
    assert current_slot(evening) == 1


def test_a_single_reminder_time_is_never_missed_within_the_day_and_is_late_from_its_time() -> None:
    states = session_states(slots=[(1, "19:30")], times=["19:30"], logged={}, now=time(23, 59))
    assert states == {1: S.DUE}
    assert not late_in_day(times=["19:30"], now=time(19, 29))
    assert late_in_day(times=["19:30"], now=time(19, 30))


def test_a_session_without_a_time_of_its_own_is_due_all_day() -> None:
    states = session_states(slots=[(1, "08:00"), (2, "")], times=["08:00"], logged={}, now=time(6))
    assert states == {1: S.UPCOMING, 2: S.DUE}
    assert not late_in_day(times=[], now=time(23))


# --- Today and the API, on the clock, in New York (UTC-5 in November) ----------------------

NEW_YORK_MORNING = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 local, the first day
NEW_YORK_AFTER_SIX = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 18:30 local
NEW_YORK_LATE = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)  # 23:00 local, still 2 Nov there


@pytest.fixture
def new_yorker(patient: Any) -> Any:
    patient.time_zone = "America/New_York"
    patient.session_times = TIMES
    patient.save()
    factories.prescribe(patient, started_on=STARTED)
    return patient


@pytest.mark.parametrize(
    ("now", "states", "order", "late"),
    [
        (NEW_YORK_MORNING, ["due", "upcoming"], [1, 2], False),
        (NEW_YORK_AFTER_SIX, ["missed", "due"], [2, 1], True),
        (NEW_YORK_LATE, ["missed", "due"], [2, 1], True),
    ],
)
def test_today_and_the_api_give_the_same_states_in_the_patients_zone(
    new_yorker: Any, now: datetime, states: list[str], order: list[int], late: bool
) -> None:
    with time_machine.travel(now, tick=False):
        day = today_for(new_yorker, now)
        body = factories.api_client_for(new_yorker.user).get("/api/v1/today/").json()
    assert day.local_date == STARTED
    assert [str(s.state) for s in day.sessions] == states
    assert [s.slot for s in day.sessions_in_order] == order
    assert day.late_in_day is late
    assert body["local_date"] == STARTED.isoformat()
    assert [(s["slot"], s["state"]) for s in body["sessions"]] == [(1, states[0]), (2, states[1])]
    assert body["current_slot"] == order[0]
    assert body["late_in_day"] is late


def test_a_logged_session_is_done_and_goes_after_those_still_to_do(new_yorker: Any) -> None:
    session_on(new_yorker, STARTED, slot=1)
    day = today_for(new_yorker, NEW_YORK_LATE)
    assert [str(s.state) for s in day.sessions] == ["done", "due"]
    assert [s.slot for s in day.sessions_in_order] == [2, 1]
    assert [s.slot for s in day.still_to_do] == [2]


def test_a_paused_today_has_no_current_session(new_yorker: Any) -> None:
    from tests.patients.recording import red_flag_check_in

    red_flag_check_in(new_yorker, STARTED, ["numbness_tingling"])
    day = today_for(new_yorker, NEW_YORK_MORNING + timedelta(hours=1))
    assert day.paused is not None
    assert day.sessions == []
    assert day.current_slot is None
