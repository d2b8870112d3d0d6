"""Today's aids for doing the exercises (issue 15, requirement 5): "How your pain guides you"
with the patient's own protocol's limits, and the hold timer and rep counter's markup (the
script itself is driven in tests/browser/test_timer.py)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.activity.services import record_check_in
from programmes.models import Protocol
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _section(page: str, element_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return found.group(0)


def _pain_guide(client: Client) -> str:
    return _section(client.get(reverse("today")).content.decode(), "pain-guide")


def test_the_pain_card_shows_the_patients_own_protocols_limits(
    patient_client: Client, programme: Any
) -> None:
    # Distinctive limits, so the numbers can only have come from this protocol's row.
    protocol = Protocol.objects.get(pk=programme.protocol_id)
    protocol.pain_during_max, protocol.pain_after_max = 4, 3
    protocol.pain_next_morning_margin = 1
    protocol.save()
    card = _pain_guide(patient_client)
    assert "How your pain guides you" in card
    assert "Pain up to 4 out of 10 during the exercises" in card
    assert "up to 3 out of 10 afterwards" in card
    assert "above 4 out of 10 during an exercise" in card
    assert "1 or more points above your usual mornings" in card
    assert "5 out of 10" not in card  # the catalogue's usual figure is not hard-coded
    assert "next morning" in card


def test_the_pain_card_shows_the_catalogues_limits_as_loaded(
    patient_client: Client, programme: Any, catalogue: Any
) -> None:
    limits = catalogue.protocols[programme.protocol.slug].pain_limits
    card = _pain_guide(patient_client)
    assert f"Pain up to {limits.during_max} out of 10 during" in card
    assert f"up to {limits.after_max} out of 10 afterwards" in card
    assert f"{limits.next_morning_margin} or more points above" in card


def test_without_limits_the_pain_card_defers_to_the_therapist_and_shows_no_number(
    patient_client: Client, programme: Any
) -> None:
    protocol = Protocol.objects.get(pk=programme.protocol_id)
    protocol.pain_during_max = protocol.pain_after_max = None
    protocol.pain_next_morning_margin = protocol.pain_progress_max = None
    protocol.save()
    card = _pain_guide(patient_client)
    assert "follow their advice" in card
    assert "out of 10 during" not in card
    assert "points above" not in card
    assert not re.search(r"\b\d+ out of 10\b", card)
    assert "get it checked today" in card  # the stop sign is there either way


def test_the_pain_card_names_no_source_for_the_patient(
    patient_client: Client, programme: Any, catalogue: Any
) -> None:
    limits = catalogue.protocols[programme.protocol.slug].pain_limits
    card = _pain_guide(patient_client)
    for code in (*limits.sources, "INFERENCE", "Silbernagel"):
        assert not re.search(rf"\b{re.escape(code)}\b", card), code


def test_a_paused_programme_shows_no_pain_card_or_timer(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    """The red flag's advice says stop: nothing on Today invites exercise meanwhile."""
    assert 'id="pain-guide"' in patient_client.get(reverse("today")).content.decode()
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        morning_pain_nrs=4,
        stiffness_minutes=20,
        red_flags=["sudden_pop"],
        logged_at=NOW,
        now=NOW,
    )
    page = patient_client.get(reverse("today")).content.decode()
    assert "Programme paused" in page
    assert 'id="pain-guide"' not in page
    assert "data-workout" not in page


def test_a_hold_gets_a_timer_and_counter_that_wait_for_the_script(
    patient_client: Client, patient: Any
) -> None:
    # Peroneal tendinopathy's first phase holds the foot out against a chair leg (5 s holds).
    factories.prescribe(
        patient,
        intake=factories.answered_intake("peroneal_tendinopathy"),
        started_on=NOW.date(),
    )
    page = patient_client.get(reverse("today")).content.decode()
    workout = re.search(
        r'<div class="workout" data-workout\s[^>]*data-hold-s="5"[^>]*>'
        r".*?data-announce></p>\s*</div>",
        page,
        re.S,
    )
    assert workout, "no hold timer for the 5 s hold"
    html = workout.group(0)
    assert 'data-reps="5"' in html
    assert 'data-reps-max="10"' in html
    assert "Hold for 5 seconds, 5–10 times." in html  # the plan in words, without the script
    assert re.search(r"data-workout-tools hidden", html)  # the tools wait for timer.js
    assert 'role="timer"' in html
    assert 'aria-live="polite"' in html
    assert re.search(r'<script src="[^"]*js/timer\.[^"]*js" defer>', page)
    assert "<script>" not in page
    assert " style=" not in page


def test_an_exercise_with_reps_gets_only_a_counter(patient_client: Client, patient: Any) -> None:
    factories.prescribe(patient, started_on=NOW.date())
    page = patient_client.get(reverse("today")).content.decode()
    counters = re.findall(r'<div class="workout" data-workout data-hold-s=""[^>]*>', page)
    assert counters, "no rep counter for an exercise counted in reps"
    assert all('data-reps="' in c and 'data-reps=""' not in c for c in counters)
