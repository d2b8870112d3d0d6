"""Recording helpers the patients tests share: a check-in, a session with its pain, a red-flag
check-in, a sprain's programme."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from patients.activity.services import ExerciseDone, record_check_in, record_session
from programmes.models import ProgrammeItem
from tests import factories
from tests.factories import NOW, STARTED


def check_in_on(
    patient: Any,
    day: date,
    pain: int = 2,
    flags: list[str] | None = None,
    client_uuid: uuid.UUID | None = None,
) -> Any:
    return record_check_in(
        patient=patient,
        client_uuid=client_uuid or uuid.uuid4(),
        local_date=day,
        morning_pain_nrs=pain,
        stiffness_minutes=10,
        red_flags=flags or [],
        logged_at=NOW,
        now=NOW,
    )


def log_pain(patient: Any, item: ProgrammeItem, day: date, slot: int, pain: int) -> Any:
    return record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        slot=slot,
        logged_at=NOW,
        exercises=[ExerciseDone(item.key, pain_during_nrs=pain)],
        now=timezone.now(),
    )


FIRST_MORNING = datetime.combine(STARTED, time(9), tzinfo=UTC)  # the programme's first day


def session_on(patient: Any, day: date, slot: int = 1, pain_during: int | None = 2) -> Any:
    item = factories.current_items(patient.programmes.get())[0]
    return record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        slot=slot,
        logged_at=FIRST_MORNING,
        exercises=[ExerciseDone(item_key=item.key, sets_done=3, pain_during_nrs=pain_during)],
        pain_after_nrs=2,
        now=timezone.now(),
    ).obj


def morning_check_in(patient: Any, day: date, pain: int, flags: list[str] | None = None) -> Any:
    return record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        morning_pain_nrs=pain,
        stiffness_minutes=10,
        red_flags=flags or [],
        logged_at=FIRST_MORNING,
        now=timezone.now(),
    ).obj


def red_flag_check_in(patient: Any, day: date, flags: list[str]) -> None:
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        morning_pain_nrs=3,
        stiffness_minutes=5,
        red_flags=flags,
        logged_at=FIRST_MORNING,
        now=FIRST_MORNING + timedelta(days=1),
    )


def sprain(patient: Any, onset: date | None) -> Any:
    intake = factories.answered_intake(
        "ankle_sprain",
        side="left",
        onset="acute",
        onset_date=onset,
        assessed_on=STARTED,
        recent_injury="yes",
    )
    return factories.prescribe(patient, intake=intake, started_on=STARTED)


def report_red_flag(patient: Any, now: datetime) -> None:
    """A morning check-in at `now` reporting a sudden pop (a same-day red flag)."""
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=now.date(),
        morning_pain_nrs=6,
        stiffness_minutes=5,
        red_flags=["sudden_pop"],
        logged_at=now,
        now=now,
    )
