"""What the web pages and the API show a patient: what is due today, weekly progress, the
check-in's questions, and when ice or heat is offered."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from patients.activity.selectors import check_in_questions, today_for, weekly_progress
from patients.activity.services import record_check_in
from patients.questionnaires.services import record_questionnaire
from programmes.planner import Intake
from tests import factories
from tests.factories import STARTED
from tests.patients.questionnaires.test_definitions import VISA_A_WORST
from tests.patients.recording import (
    FIRST_MORNING,
    morning_check_in,
    red_flag_check_in,
    session_on,
    sprain,
)

pytestmark = pytest.mark.django_db


# --- Today --------------------------------------------------------------------------------


def test_today_lists_both_daily_sessions_when_stretches_are_twice_a_day(patient: Any) -> None:
    # Silbernagel phase 1: strengthening once a day, the two calf stretches twice a day.
    programme = factories.prescribe(patient, started_on=STARTED)
    today = today_for(patient, FIRST_MORNING)
    assert today.programme == programme
    assert today.local_date == STARTED
    assert today.week == 1
    assert today.phase is not None
    assert today.phase.position == 1
    assert [s.slot for s in today.sessions] == [1, 2]
    assert [s.time for s in today.sessions] == ["08:00", "18:00"]
    assert len(today.sessions[0].items) == len(factories.current_items(programme))
    assert {i.exercise.slug for i in today.sessions[1].items} == {
        "stretch_gastroc_wall",
        "stretch_soleus_bent_knee",
    }
    assert [s.modality for s in today.ice_heat] == ["heat"]
    assert today.check_in is None
    assert today.questionnaire == "visa_a"
    assert today.questionnaire_due


def test_today_shows_what_is_already_logged(patient: Any) -> None:
    factories.prescribe(patient, started_on=STARTED)
    log = session_on(patient, STARTED, slot=1)
    check_in = morning_check_in(patient, STARTED, pain=3)
    today = today_for(patient, FIRST_MORNING)
    assert today.sessions[0].log == log
    assert today.sessions[1].log is None
    assert today.check_in == check_in


def test_today_is_the_patients_own_local_date(patient: Any) -> None:
    patient.time_zone = "Pacific/Auckland"  # UTC+13 in November
    patient.save()
    factories.prescribe(patient, started_on=STARTED)
    late_evening_utc = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)
    assert today_for(patient, late_evening_utc).local_date == date(2026, 11, 4)


def test_three_days_a_week_programmes_have_rest_days(patient: Any) -> None:
    intake = Intake(
        condition="achilles_midportion", side="left", protocol="achilles_midportion_hsr"
    )
    factories.prescribe(patient, intake=intake, started_on=STARTED)
    monday, tuesday = FIRST_MORNING, FIRST_MORNING + timedelta(days=1)
    assert [s.slot for s in today_for(patient, monday).sessions] == [1]
    assert today_for(patient, tuesday).sessions == []


def test_the_questionnaire_is_due_again_a_week_after_the_last_one(patient: Any) -> None:
    factories.prescribe(patient, started_on=STARTED)
    answers = VISA_A_WORST
    record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="visa_a",
        local_date=STARTED,
        answers=answers,
        logged_at=FIRST_MORNING,
        now=timezone.now(),
    )
    assert not today_for(patient, FIRST_MORNING + timedelta(days=6)).questionnaire_due
    assert today_for(patient, FIRST_MORNING + timedelta(days=7)).questionnaire_due


def test_today_without_a_programme_is_empty(patient: Any) -> None:
    today = today_for(patient, FIRST_MORNING)
    assert today.programme is None
    assert today.sessions == []


# --- Caseload -----------------------------------------------------------------------------


# --- Progress -----------------------------------------------------------------------------


def test_weekly_progress_averages_pain_and_counts_adherence_by_programme_week(
    patient: Any,
) -> None:
    factories.prescribe(patient, started_on=STARTED)
    session_on(patient, STARTED, pain_during=2)
    session_on(patient, STARTED + timedelta(days=1), pain_during=4)
    session_on(patient, STARTED + timedelta(days=8), pain_during=1)
    morning_check_in(patient, STARTED, pain=3)
    morning_check_in(patient, STARTED + timedelta(days=1), pain=4)

    progress = weekly_progress(patient, FIRST_MORNING + timedelta(days=9))

    assert [w.week for w in progress.weeks] == [1, 2]
    week1, week2 = progress.weeks
    assert week1.pain_during == 3.0
    assert week1.pain_morning == 3.5
    assert week2.pain_during == 1.0
    assert week2.pain_morning is None
    # Two sessions a day prescribed: 2 done of 14 in week 1, 1 of 6 so far in week 2.
    assert week1.adherence == pytest.approx(100 * 2 / 14)
    assert week2.adherence == pytest.approx(100 * 1 / 6)
    assert progress.questionnaire == "visa_a"


# --- Visibility ---------------------------------------------------------------------------


HOME_CONDITIONS = [
    "achilles_midportion",
    "achilles_insertional",
    "achilles_partial_tear",
    "retrocalcaneal_bursitis",
    "retro_achilles_bursitis",
    "haglunds",
    "posterior_ankle_impingement",
    "peroneal_tendinopathy",
    "posterior_tibial_tendinopathy",
    "severs_disease",
    "ankle_sprain",
    "ankle_oa",
    "plantar_fasciitis",
    "calf_strain",
]


@pytest.mark.parametrize("condition", HOME_CONDITIONS)
def test_every_home_programme_asks_about_sudden_pain_and_swelling(condition: str) -> None:
    """Requirement 7: pain and swelling that come on suddenly is a reason to call the doctor
    whatever the condition (SEED-002), so every patient on a home programme is asked."""
    from programmes.models import Condition

    slugs = {f.slug for f in check_in_questions(Condition.objects.get(slug=condition).pk)}
    assert "sudden_pain_and_swelling" in slugs


@pytest.mark.parametrize(
    ("condition", "asked", "not_asked"),
    [
        ("calf_strain", {"dvt_signs", "pe_signs", "sudden_pain_and_swelling"}, set()),
        ("ankle_sprain", {"dvt_signs", "extreme_swelling_bruising"}, {"bone_tenderness_ottawa"}),
        (
            "achilles_midportion",
            {"dvt_signs", "fluoroquinolone_or_steroid"},
            {"rupture_exam_signs"},
        ),
        ("achilles_insertional", {"dvt_signs", "pe_signs"}, {"enthesitis_signs"}),
        ("plantar_fasciitis", set(), {"dvt_signs", "heel_pain_no_swelling_impact"}),
    ],
)
def test_the_check_in_asks_everyones_questions_plus_the_conditions_own(
    condition: str, asked: set[str], not_asked: set[str]
) -> None:
    """F14: the five general questions always, plus the condition's own flags a patient can
    answer daily; never an examination finding or a feature of the condition itself."""
    from programmes.models import Condition

    general = {"sudden_pop", "cannot_bear_weight", "redness_warmth_fever", "numbness_tingling"}
    slugs = {f.slug for f in check_in_questions(Condition.objects.get(slug=condition).pk)}
    assert general | asked <= slugs
    assert not slugs & not_asked


@pytest.mark.parametrize(
    ("dvt_risks", "asked"),
    [
        (frozenset(), False),
        (frozenset({"immobilisation"}), True),
        (frozenset({"long_travel"}), True),
    ],
)
def test_a_dvt_risk_at_intake_adds_the_dvt_questions_to_the_check_in(
    patient: Any, dvt_risks: frozenset[str], asked: bool
) -> None:
    """Requirement 6: a boot, immobilisation, surgery or long travel recorded at intake makes
    the daily check-in ask about a swollen calf and breathlessness, whatever the condition
    (posterior impingement does not list them itself)."""
    intake = factories.answered_intake(
        "posterior_ankle_impingement", cleared=True, dvt_risks=dvt_risks
    )
    factories.prescribe(patient, intake=intake, started_on=STARTED)
    slugs = {flag.slug for flag in today_for(patient, FIRST_MORNING).check_in_questions}
    assert ({"dvt_signs", "pe_signs"} <= slugs) is asked
    assert "sudden_pop" in slugs


@pytest.mark.parametrize(("swelling", "heat"), [(False, True), (True, False), (None, False)])
def test_heat_waits_for_a_check_in_that_rules_swelling_out(
    patient: Any, swelling: bool | None, heat: bool
) -> None:
    """F1 / F22: heat only while there is no swelling (SEED-002). A check-in that did not
    answer the swelling question (an older app) leaves it unknown: no heat, as at intake."""
    factories.prescribe(patient, started_on=STARTED)
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=FIRST_MORNING.date(),
        morning_pain_nrs=2,
        stiffness_minutes=5,
        red_flags=[],
        swelling=swelling,
        logged_at=FIRST_MORNING,
        now=FIRST_MORNING,
    )
    assert ("heat" in [s.modality for s in today_for(patient, FIRST_MORNING).ice_heat]) is heat


@pytest.mark.parametrize(
    ("onset", "last_ice_day"),
    [
        (STARTED - timedelta(days=2), STARTED + timedelta(days=1)),  # from the injury
        (None, STARTED + timedelta(days=3)),  # no onset date: from the programme's start
    ],
)
def test_the_acute_ice_window_counts_from_the_injury(
    patient: Any, onset: date | None, last_ice_day: date
) -> None:
    """F22: "the first 2-3 days after the injury" [R28] counts from the diagnosis's onset
    date, else from the programme's start."""
    sprain(patient, onset)
    for offset in range(6):
        day = STARTED + timedelta(days=offset)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        ice = [s for s in today_for(patient, now).ice_heat if s.modality == "ice"]
        assert bool(ice) == (day <= last_ice_day), day


# --- What Today costs ---------------------------------------------------------------------


def _full_day(patient: Any) -> Any:
    """A programme with a session logged, a check-in and a questionnaire response today: every
    fact Today reads is there."""
    programme = factories.prescribe(patient, started_on=STARTED)
    session_on(patient, STARTED, slot=1)
    morning_check_in(patient, STARTED, pain=3)
    record_questionnaire(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="visa_a",
        local_date=STARTED,
        answers=VISA_A_WORST,
        logged_at=FIRST_MORNING,
        now=FIRST_MORNING,
    )
    return programme


def test_today_reads_in_at_most_four_queries(
    patient: Any, django_assert_max_num_queries: Any
) -> None:
    """Issue 14: the programme with the day's facts, the phase's items, today's logs and
    their exercises."""
    _full_day(patient)
    # Warm what a process reads once: the catalogue's red flags and the database's JSON probe.
    today_for(patient, FIRST_MORNING)
    with django_assert_max_num_queries(4):
        today = today_for(patient, FIRST_MORNING)
    assert today.sessions[0].log is not None
    assert [e.exercise.slug for e in today.sessions[0].log.exercises.all()]
    assert today.check_in is not None
    assert today.check_in.morning_pain_nrs == 3
    assert not today.questionnaire_due
    assert (
        today.ice_heat == [] if today.swelling else [s.modality for s in today.ice_heat] == ["heat"]
    )
    assert today.check_in_questions


def test_today_reads_in_one_statement_and_a_pause_in_two_more(
    patient: Any, django_assert_max_num_queries: Any
) -> None:
    """Issue 14: the programme with every fact of the day (phase, items, logs and their
    entries, check-in, questionnaire, ice/heat) in one prepared statement; a paused patient
    adds the pause's two reads."""
    _full_day(patient)
    today_for(patient, FIRST_MORNING)  # warm the catalogue and the compiled statement
    with django_assert_max_num_queries(1):
        today = today_for(patient, FIRST_MORNING)
    assert today.sessions[0].log is not None
    assert today.check_in is not None
    red_flag_check_in(patient, STARTED, ["numbness_tingling"])
    with django_assert_max_num_queries(3):
        assert today_for(patient, FIRST_MORNING).paused is not None


def test_a_paused_today_reads_in_at_most_four_queries(
    patient: Any, django_assert_max_num_queries: Any
) -> None:
    """Paused (F3): the pause's two reads replace the logs' and nothing else is offered."""
    factories.prescribe(patient, started_on=STARTED)
    red_flag_check_in(patient, STARTED, ["numbness_tingling"])
    today_for(patient, FIRST_MORNING)
    with django_assert_max_num_queries(4):
        today = today_for(patient, FIRST_MORNING)
    assert today.paused is not None
    assert today.sessions == []
    assert today.ice_heat == []
    assert today.check_in is not None
    assert today.check_in.red_flags == ["numbness_tingling"]


@pytest.mark.parametrize("paused", [False, True])
@pytest.mark.parametrize(
    "context",
    [
        pytest.param(lambda p, slug: {"for_patient": True, "condition": slug, "zone": p.zone}),
        pytest.param(lambda p, slug: {}),
    ],
)
def test_today_json_built_by_hand_is_the_declared_fields_json(
    patient: Any, paused: bool, context: Any
) -> None:
    """TodayOutput builds its JSON by hand (issue 14): byte for byte what its declared fields
    (and so the OpenAPI schema) give, for a full day and a paused one."""
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from patients.activity.serializers import TodayOutput

    _full_day(patient)
    session_on(patient, STARTED, slot=2, pain_during=None)
    patient.check_ins.update(swelling=False)  # heat is offered
    if paused:
        red_flag_check_in(patient, STARTED, ["numbness_tingling"])
    today = today_for(patient, FIRST_MORNING)
    assert (today.paused is not None) == paused
    assert today.check_in is not None
    if not paused:
        assert today.sessions[0].log is not None
        assert today.ice_heat
    assert today.programme is not None
    output = TodayOutput(today, context=context(patient, today.programme.condition.slug))
    by_fields = serializers.Serializer.to_representation(output, today)
    render = JSONRenderer().render
    assert render(output.data) == render(by_fields)
