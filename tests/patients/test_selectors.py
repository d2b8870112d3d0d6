"""The reads the web pages and the API share: what is due today, the caseload, weekly
progress, and who may see whom."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from patients.activity.selectors import check_in_questions, today_for, weekly_progress
from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import Flag, Notification
from patients.monitoring.selectors import pause_for, urgency_heading, visible_flag
from patients.notifications.services import mark_notifications_read
from patients.people.selectors import caseload, visible_patient
from patients.questionnaires.services import record_questionnaire
from programmes.planner import Intake
from tests import factories
from tests.factories import STARTED
from tests.patients.test_questionnaires import VISA_A_WORST

pytestmark = pytest.mark.django_db

FIRST_MORNING = datetime.combine(STARTED, time(9), tzinfo=UTC)  # the programme's first day


def _log(patient: Any, day: date, slot: int = 1, pain_during: int | None = 2) -> Any:
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


def _check_in(patient: Any, day: date, pain: int, flags: list[str] | None = None) -> Any:
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
    log = _log(patient, STARTED, slot=1)
    check_in = _check_in(patient, STARTED, pain=3)
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


def test_the_caseload_shows_week_phase_adherence_pain_and_flags_most_urgent_first(
    therapist: Any, colleague: Any
) -> None:
    quiet = factories.PatientFactory(therapist=therapist)
    worried = factories.PatientFactory(therapist=therapist)
    factories.PatientFactory(therapist=colleague)  # not on this caseload
    for patient in (quiet, worried):
        factories.prescribe(patient, started_on=STARTED)
    for day in range(7):
        _log(quiet, STARTED + timedelta(days=day), slot=1)
        _log(quiet, STARTED + timedelta(days=day), slot=2)
    _check_in(quiet, STARTED + timedelta(days=6), pain=2)
    Flag.objects.create(
        patient=worried,
        rule="red_flag:pop",
        episode="x",
        kind="red_flag",
        severity=3,
        message="m",
    )
    Flag.objects.create(
        patient=worried,
        rule="not_adhering",
        episode="y",
        kind="not_adhering",
        severity=2,
        message="m",
    )

    rows = caseload(therapist, FIRST_MORNING + timedelta(days=6))

    assert [r.patient for r in rows] == [worried, quiet]
    assert [f.severity for f in rows[0].open_flags] == [3, 2]
    by_patient = {r.patient: r for r in rows}
    assert by_patient[quiet].week == 1
    assert by_patient[quiet].phase.position == 1
    assert by_patient[quiet].adherence_7d == 100
    assert by_patient[worried].adherence_7d == 0
    assert by_patient[quiet].latest_pain_nrs == 2
    assert by_patient[worried].latest_pain_nrs is None


def test_resolved_flags_leave_the_caseload(therapist: Any, patient: Any) -> None:
    Flag.objects.create(
        patient=patient,
        rule="r",
        episode="e",
        kind="step_back",
        severity=2,
        message="m",
        status=Flag.Status.RESOLVED,
    )
    assert caseload(therapist, FIRST_MORNING)[0].open_flags == []


@pytest.mark.parametrize("size", [1, 20])
def test_the_caseload_takes_the_same_number_of_queries_for_1_or_20_patients(
    therapist: Any, size: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(size):
        patient = factories.PatientFactory(therapist=therapist)
        factories.prescribe(patient, started_on=STARTED)
        _log(patient, STARTED)
        _check_in(patient, STARTED, pain=1)
    with django_assert_max_num_queries(7):
        assert len(caseload(therapist, FIRST_MORNING)) == size


# --- Progress -----------------------------------------------------------------------------


def test_weekly_progress_averages_pain_and_counts_adherence_by_programme_week(
    patient: Any,
) -> None:
    factories.prescribe(patient, started_on=STARTED)
    _log(patient, STARTED, pain_during=2)
    _log(patient, STARTED + timedelta(days=1), pain_during=4)
    _log(patient, STARTED + timedelta(days=8), pain_during=1)
    _check_in(patient, STARTED, pain=3)
    _check_in(patient, STARTED + timedelta(days=1), pain=4)

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


def test_a_therapist_sees_only_their_own_patients(
    therapist: Any, colleague: Any, patient: Any
) -> None:
    assert visible_patient(therapist.user, patient.pk) == patient
    with pytest.raises(Http404):
        visible_patient(colleague.user, patient.pk)


def test_a_patient_sees_only_themself(patient: Any, therapist: Any) -> None:
    other = factories.PatientFactory(therapist=therapist)
    assert visible_patient(patient.user, patient.pk) == patient
    with pytest.raises(Http404):
        visible_patient(patient.user, other.pk)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(uuid.uuid4())])
def test_a_malformed_or_unknown_id_is_not_found(therapist: Any, bad_id: str) -> None:
    with pytest.raises(Http404):
        visible_patient(therapist.user, bad_id)


def test_only_the_patients_therapist_can_reach_a_flag(
    therapist: Any, colleague: Any, patient: Any
) -> None:
    flag = Flag.objects.create(
        patient=patient, rule="r", episode="e", kind="step_back", severity=2, message="m"
    )
    assert visible_flag(therapist.user, flag.pk) == flag
    for outsider in (colleague.user, patient.user):
        with pytest.raises(Http404):
            visible_flag(outsider, flag.pk)


def test_marking_notifications_read_ignores_other_peoples(patient: Any, therapist: Any) -> None:
    mine = Notification.objects.create(user=patient.user, kind="k", title="mine")
    theirs = Notification.objects.create(user=therapist.user, kind="k", title="theirs")
    changed = mark_notifications_read(
        user=patient.user, ids=[mine.pk, theirs.pk], now=FIRST_MORNING
    )
    assert changed == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at == FIRST_MORNING
    assert theirs.read_at is None


@pytest.mark.parametrize(
    ("urgency", "heading"),
    [
        ("emergency", "Emergency: call 112 now"),
        ("urgent", "Get medical help today"),
        ("soon", "See a doctor or clinician within the next few days"),
        ("routine", "Book an appointment with your doctor or clinician"),
        ("no_such_urgency", "Get medical help today"),
    ],
)
def test_the_patients_heading_follows_the_red_flags_urgency(
    settings: Any, urgency: str, heading: str
) -> None:
    """F13 and F44: the emergency heading gives the number from REHAB_EMERGENCY_NUMBER."""
    settings.REHAB_EMERGENCY_NUMBER = "112"
    assert urgency_heading(urgency) == heading


def _red_flag_check_in(patient: Any, day: date, flags: list[str]) -> None:
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


def test_the_pause_lasts_until_every_red_flag_is_resolved(patient: Any) -> None:
    """F3: one definition of "paused", from the first unresolved red flag, most urgent advice
    first; acknowledging keeps it, resolving lifts it."""
    factories.prescribe(patient, started_on=STARTED)
    assert pause_for(patient) is None
    _red_flag_check_in(patient, STARTED, ["numbness_tingling"])
    _red_flag_check_in(patient, STARTED + timedelta(days=1), ["cannot_bear_weight"])
    pause = pause_for(patient)
    assert pause is not None
    assert pause.since == STARTED
    assert pause.urgency == "urgent"
    assert pause.advice[0].startswith("Do not do any exercises")
    assert len(pause.advice) == 2
    flags = Flag.objects.filter(patient=patient, kind=Flag.Kind.RED_FLAG)
    flags.update(status=Flag.Status.ACKNOWLEDGED)
    assert pause_for(patient) is not None
    flags.update(status=Flag.Status.RESOLVED)
    assert pause_for(patient) is None
    today = today_for(patient, FIRST_MORNING + timedelta(days=1))
    assert today.paused is None
    assert today.sessions


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


def _sprain(patient: Any, onset: date | None) -> Any:
    intake = factories.answered_intake(
        "ankle_sprain",
        side="left",
        onset="acute",
        onset_date=onset,
        assessed_on=STARTED,
        recent_injury="yes",
    )
    return factories.prescribe(patient, intake=intake, started_on=STARTED)


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
    _sprain(patient, onset)
    for offset in range(6):
        day = STARTED + timedelta(days=offset)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        ice = [s for s in today_for(patient, now).ice_heat if s.modality == "ice"]
        assert bool(ice) == (day <= last_ice_day), day
