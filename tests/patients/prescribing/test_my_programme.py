"""My programme: the patient's whole programme on one page and from `GET /api/v1/programme/`,
both from one selection (`my_programme`) — every phase with what moves it on, each exercise's
dose in words, the ice/heat plan and its safety rules, the warning signs, the review dates
(issue 15, requirement 3)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from patients.activity.selectors import today_for
from patients.prescribing.selectors import ONGOING_METRICS, my_programme, patient_programme
from programmes.models import Checkpoint, Programme, ProgrammeItem, RedFlag
from programmes.text import describe_dose
from tests import factories
from tests.factories import NOW, STARTED, api_client_for, web_client_for
from tests.patients.recording import report_red_flag, sprain
from tests.programmes.test_patient_text import SOURCE_ID, _slugs, problems

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """Friday of week 3 of a programme started on STARTED."""


def page_text(client: Client, url: str = "/my-programme/") -> str:
    """The text a reader sees in <main>, tags removed and spaces collapsed."""
    response = client.get(url)
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1].split(">", 1)[1].split("</main>")[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def items_of(programme: Programme) -> list[ProgrammeItem]:
    return list(
        ProgrammeItem.objects.filter(phase__revision=programme.current_revision)
        .select_related("exercise", "phase")
        .order_by("phase__position", "position")
    )


# --- The page -----------------------------------------------------------------------------


def test_the_page_shows_every_phase_exercise_and_dose_in_words(programme: Any) -> None:
    text = page_text(web_client_for(programme.patient.user))
    phases = programme.current_revision.phases.order_by("position")
    assert phases.count() > 1
    for phase in phases:
        assert f"Phase {phase.position}: {phase.name}" in text
        for criterion in phase.progression_criteria:
            assert criterion in text
    for item in items_of(programme):
        assert item.exercise.name in text
        assert describe_dose(item) in text
    assert "3 sets of 10–15, once a day, every day" in text  # the wording
    assert "You are here" in text


def test_the_page_says_what_moves_each_phase_on_and_when_it_can_start(programme: Any) -> None:
    text = page_text(web_client_for(programme.patient.user))
    assert "Your clinician moves you on to phase 2 when:" in text
    assert "Weeks 1 to 2 · from 2 November 2026" in text
    assert "not before 9 November 2026" in text  # phase 2 starts in week 2
    assert "You have finished the programme when:" in text


def test_the_page_has_the_ice_heat_plan_warning_signs_and_review_dates(programme: Any) -> None:
    text = page_text(web_client_for(programme.patient.user))
    slot = programme.current_revision.ice_heat_slots.get()  # no swelling: heat (SEED-002)
    assert f"Heat: up to {slot.max_minutes} minutes" in text
    for rule in slot.safety_rules:
        assert rule in text
    assert "Stop and seek care" in text
    sudden_pop = RedFlag.objects.get(slug="sudden_pop")
    assert sudden_pop.question in text
    assert sudden_pop.advice in text
    assert "Get medical help today." in text
    reviews = Checkpoint.objects.filter(programme=programme).exclude(
        timeframe__metric__in=ONGOING_METRICS
    )
    assert reviews
    for review in reviews:
        assert f"{review.due_on:%A} {review.due_on.day} {review.due_on:%B %Y}" in text


def test_the_page_leaves_out_everything_meant_for_clinicians(
    programme: Any, catalogue: Any
) -> None:
    """House rule 3: no source id, no INFERENCE, no dose note, no clinician caution, no
    checkpoint rule, no examination-finding red flag, no override reason."""
    item = items_of(programme)[0]
    assert item.dose_notes or item.exercise.cautions  # there is something to leave out
    text = page_text(web_client_for(programme.patient.user))
    assert problems(text, _slugs(catalogue)) == []
    for item in items_of(programme):
        if item.dose_notes:
            assert item.dose_notes not in text
        if item.exercise.cautions:
            assert item.exercise.cautions not in text
    for checkpoint in Checkpoint.objects.filter(programme=programme):
        assert checkpoint.rule not in text
    assert RedFlag.objects.get(slug="rupture_exam_signs").question not in text


def test_a_paused_programme_says_so_first(programme: Any) -> None:
    report_red_flag(programme.patient, NOW)
    client = web_client_for(programme.patient.user)
    text = page_text(client)
    assert text.index("Programme paused: Get medical help today") < text.index("Phase 1: ")
    body = api_client_for(programme.patient.user).get("/api/v1/programme/").json()
    assert body["paused"]["heading"] == "Get medical help today"


def test_the_page_is_in_the_patients_navigation_and_links_the_handout(programme: Any) -> None:
    page = web_client_for(programme.patient.user).get(reverse("today")).content.decode()
    assert f'href="{reverse("my_programme")}"' in page
    mine = web_client_for(programme.patient.user).get(reverse("my_programme")).content.decode()
    assert f'href="{reverse("my_programme_handout")}"' in mine
    assert 'aria-current="page">My programme' in mine


def test_a_patient_without_a_programme_is_told_so(patient: Any) -> None:
    text = page_text(web_client_for(patient.user))
    assert "You have no programme yet" in text
    assert "Print" not in text


@pytest.mark.parametrize("who", ["therapist", "anonymous"])
def test_only_patients_have_a_my_programme_page(programme: Any, who: str) -> None:
    client = web_client_for(programme.patient.therapist.user) if who == "therapist" else Client()
    response = client.get(reverse("my_programme"))
    assert response.status_code == (404 if who == "therapist" else 302)


# --- The API presents the same selection ---------------------------------------------------


def test_the_api_and_the_page_present_the_same_programme(programme: Any) -> None:
    user = programme.patient.user
    body = api_client_for(user).get("/api/v1/programme/").json()
    text = page_text(web_client_for(user))
    mine = my_programme(programme, today=NOW.date())

    assert [p["position"] for p in body["phases"]] == [p.position for p in mine.phases]
    for phase in body["phases"]:
        assert phase["sources"] == []
        assert date.fromisoformat(phase["starts_on"]).strftime("%-d %B %Y") in text
        for item in phase["items"]:
            assert item["dose_text"] in text
            assert item["sources"] == []
            assert item["dose_notes"] == ""
    assert [s["question"] for s in body["warning_signs"]] == [
        s.flag.question for s in mine.warning_signs
    ]
    for sign in body["warning_signs"]:
        assert sign["question"] in text
        assert sign["advice"] in text
    assert [r["due_on"] for r in body["reviews"]] == [r.due_on.isoformat() for r in mine.reviews]
    assert [rule for s in body["ice_heat"] for rule in s["safety_rules"]] == [
        rule for p in mine.ice_heat for rule in p.slot.safety_rules
    ]
    assert body["therapist"] == programme.patient.therapist.user.get_full_name()
    assert body["clinic"] == settings.REHAB_CLINIC_NAME
    assert SOURCE_ID.findall(str(body)) == []


def test_the_warning_signs_are_the_check_ins_questions_most_urgent_first(patient: Any) -> None:
    intake = factories.answered_intake(
        "posterior_ankle_impingement", cleared=True, dvt_risks=frozenset({"immobilisation"})
    )
    programme = factories.prescribe(patient, intake=intake)
    signs = my_programme(programme, today=NOW.date()).warning_signs
    asked = {f.slug for f in today_for(patient, NOW).check_in_questions}
    assert {s.flag.slug for s in signs} == asked
    assert {"dvt_signs", "pe_signs", "sudden_pop"} <= asked
    urgencies = [s.flag.urgency for s in signs]
    order = ["emergency", "urgent", "soon", "routine"]
    assert urgencies == sorted(urgencies, key=order.index)


def test_review_dates_leave_out_the_daily_and_weekly_pain_rules(programme: Any) -> None:
    mine = my_programme(programme, today=NOW.date())
    stored = Checkpoint.objects.filter(programme=programme).select_related("timeframe")
    ongoing = [c for c in stored if c.timeframe.metric in ONGOING_METRICS]
    assert ongoing  # the mid-portion loading programme has them
    dates = [r.due_on for r in mine.reviews]
    assert dates == sorted({c.due_on for c in stored if c not in ongoing})
    assert date(2026, 11, 3) not in dates  # day 1: the next-morning rule, not a review
    assert [r.passed for r in mine.reviews] == [d < NOW.date() for d in dates]


@pytest.mark.parametrize(
    ("onset", "last_ice_day"),
    [(STARTED - timedelta(days=2), STARTED + timedelta(days=1)), (None, STARTED + timedelta(3))],
)
def test_the_ice_dates_are_the_days_today_offers_ice(
    patient: Any, onset: date | None, last_ice_day: date
) -> None:
    """One rule for both: My programme's dates for the acute ice are the days Today lists it."""
    programme = sprain(patient, onset)
    (ice,) = [
        p for p in my_programme(programme, today=STARTED).ice_heat if p.slot.modality == "ice"
    ]
    assert (ice.first_on, ice.last_on) == (STARTED, last_ice_day)
    for offset in range(6):
        day = STARTED + timedelta(days=offset)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        offered = any(s.modality == "ice" for s in today_for(patient, now).ice_heat)
        assert offered == (ice.first_on <= day <= ice.last_on), day
    later = my_programme(programme, today=STARTED + timedelta(days=10)).ice_heat
    assert [p.finished for p in later if p.slot.modality == "ice"] == [True]


def test_another_patients_programme_is_not_reachable_by_id(programme: Any, stranger: Any) -> None:
    client = api_client_for(stranger.user)
    assert client.get(f"/api/v1/programmes/{programme.pk}/").status_code == 404
    assert client.get("/api/v1/programme/").json()["id"] != str(programme.pk)


@pytest.mark.parametrize(
    ("injured_days_before", "from_day", "to_day", "dates"),
    [
        (None, 0, 3, (STARTED, STARTED + timedelta(days=3))),
        (2, 0, 3, (STARTED, STARTED + timedelta(days=1))),
        (2, 4, None, (STARTED + timedelta(days=2), None)),
        (5, 0, 3, None),  # the acute days were over before the programme started
    ],
)
def test_an_ice_heat_slot_runs_from_the_injury_or_the_start(
    injured_days_before: int | None, from_day: int, to_day: int | None, dates: Any
) -> None:
    from patients.schedule import ice_heat_dates
    from programmes.models import IceHeatSlot

    slot = IceHeatSlot(from_day=from_day, to_day=to_day)
    injured_on = None if injured_days_before is None else STARTED - timedelta(injured_days_before)
    assert ice_heat_dates(slot, STARTED, injured_on) == dates


def test_my_programme_reads_in_a_fixed_number_of_queries(
    programme: Any, django_assert_max_num_queries: Any
) -> None:
    """Six after the one that finds the programme, however many phases and items: ice/heat,
    checkpoints, phases, items, exercises, the pause (red flags: the catalogue snapshot,
    read once per process)."""
    my_programme(programme, today=NOW.date())  # warm the catalogue snapshot
    fresh = patient_programme(programme.patient.user)
    assert fresh is not None
    with django_assert_max_num_queries(6):
        mine = my_programme(fresh, today=NOW.date())
        assert sum(len(phase.items.all()) for phase in mine.phases) > 10
