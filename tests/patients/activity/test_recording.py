"""Recording what patients log: check-ins and sessions, stored once, refused beside the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import CheckIn, ExerciseLog, SessionLog
from patients.schedule import local_today
from rehab.exceptions import DomainError
from tests import factories
from tests.factories import NOW
from tests.patients.recording import check_in_on, log_pain

pytestmark = pytest.mark.django_db


# --- Check-ins ----------------------------------------------------------------------------


def test_a_check_in_replayed_with_the_same_uuid_is_stored_once(programme: Any) -> None:
    key = uuid.uuid4()
    first = check_in_on(programme.patient, NOW.date(), client_uuid=key)
    again = check_in_on(programme.patient, NOW.date(), client_uuid=key)
    assert (first.outcome, again.outcome) == ("created", "already_present")
    assert again.obj.pk == first.obj.pk
    assert CheckIn.objects.count() == 1


def test_the_same_uuid_with_other_content_is_a_conflict(programme: Any) -> None:
    key = uuid.uuid4()
    check_in_on(programme.patient, NOW.date(), pain=2, client_uuid=key)
    with pytest.raises(DomainError) as error:
        check_in_on(programme.patient, NOW.date(), pain=7, client_uuid=key)
    assert error.value.code == "conflict"
    assert CheckIn.objects.get().morning_pain_nrs == 2


def test_a_second_check_in_the_same_day_updates_it(programme: Any) -> None:
    check_in_on(programme.patient, NOW.date(), pain=2)
    second = check_in_on(programme.patient, NOW.date(), pain=4)
    assert second.outcome == "updated"
    assert CheckIn.objects.get().morning_pain_nrs == 4


@pytest.mark.parametrize("pain", [-1, 11, "severe"])
def test_pain_off_the_0_to_10_scale_is_refused_with_the_field(programme: Any, pain: Any) -> None:
    with pytest.raises(DomainError) as error:
        check_in_on(programme.patient, NOW.date(), pain=pain)
    assert "morning_pain_nrs" in error.value.fields
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("pain", [0, 10])
def test_pain_at_either_end_of_the_scale_is_stored(programme: Any, pain: int) -> None:
    check_in_on(programme.patient, NOW.date(), pain=pain)
    assert CheckIn.objects.get().morning_pain_nrs == pain


def test_an_unknown_red_flag_is_refused(programme: Any) -> None:
    with pytest.raises(DomainError) as error:
        check_in_on(programme.patient, NOW.date(), flags=["popped"])
    assert "red_flags" in error.value.fields


# --- Sessions -----------------------------------------------------------------------------


def test_a_session_resent_with_other_exercise_figures_is_a_conflict(programme: Any) -> None:
    item = factories.current_items(programme)[0]
    key = uuid.uuid4()

    def send(pain: int) -> Any:
        return record_session(
            patient=programme.patient,
            client_uuid=key,
            local_date=NOW.date(),
            slot=1,
            logged_at=NOW,
            exercises=[ExerciseDone(item.key, sets_done=3, pain_during_nrs=pain)],
            now=timezone.now(),
        )

    assert send(2).outcome == "created"
    assert send(2).outcome == "already_present"
    with pytest.raises(DomainError) as error:
        send(6)
    assert error.value.code == "conflict"
    assert ExerciseLog.objects.get().pain_during_nrs == 2


def test_a_session_stores_target_beside_actual(programme: Any) -> None:
    item = next(
        i for i in factories.current_items(programme) if i.exercise.slug == "heel_raise_seated"
    )
    recorded = record_session(
        patient=programme.patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        slot=1,
        logged_at=NOW,
        exercises=[ExerciseDone(item.key, sets_done=2, reps_done=10, pain_during_nrs=3)],
        pain_after_nrs=2,
        now=timezone.now(),
    )
    entry = ExerciseLog.objects.get(session=recorded.obj)
    assert (entry.target_sets, entry.target_reps) == (3, 10)
    assert (entry.sets_done, entry.reps_done, entry.pain_during_nrs) == (2, 10, 3)


def test_logging_the_same_slot_again_updates_it(programme: Any) -> None:
    item = factories.current_items(programme)[0]
    # A recent date: a slot more than a week old can no longer be changed (CHANGE_WINDOW).
    today = local_today(programme.patient, timezone.now())
    for pain in (3, 5):
        log_pain(programme.patient, item, today, slot=1, pain=pain)
    assert SessionLog.objects.count() == 1
    assert ExerciseLog.objects.get().pain_during_nrs == 5


def test_a_skip_needs_a_reason_and_logs_no_exercises(programme: Any) -> None:
    with pytest.raises(DomainError):
        record_session(
            patient=programme.patient,
            client_uuid=uuid.uuid4(),
            local_date=NOW.date(),
            slot=1,
            logged_at=NOW,
            exercises=[],
            skipped=True,
            now=timezone.now(),
        )
    recorded = record_session(
        patient=programme.patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        slot=1,
        logged_at=NOW,
        exercises=[],
        skipped=True,
        skip_reason="Travelling",
        now=timezone.now(),
    )
    assert recorded.obj.status == "skipped"


def test_an_item_from_another_programme_is_refused(programme: Any) -> None:
    with pytest.raises(DomainError) as error:
        record_session(
            patient=programme.patient,
            client_uuid=uuid.uuid4(),
            local_date=NOW.date(),
            slot=1,
            logged_at=NOW,
            exercises=[ExerciseDone(uuid.uuid4())],
            now=timezone.now(),
        )
    assert "exercises" in error.value.fields


# --- Questionnaires -----------------------------------------------------------------------


# --- Flags --------------------------------------------------------------------------------


def test_a_check_in_stores_swelling_and_a_replay_must_match_it(programme: Any) -> None:
    """Requirement 7: the swelling answer is part of the check-in's content."""
    key = uuid.uuid4()
    kwargs = {
        "patient": programme.patient,
        "client_uuid": key,
        "local_date": NOW.date(),
        "morning_pain_nrs": 2,
        "stiffness_minutes": 10,
        "red_flags": [],
        "logged_at": NOW,
        "now": NOW,
    }
    assert record_check_in(**kwargs, swelling=True).obj.swelling is True
    assert record_check_in(**kwargs, swelling=True).outcome == "already_present"
    with pytest.raises(DomainError):
        record_check_in(**kwargs, swelling=False)
