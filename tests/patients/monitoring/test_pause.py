"""A red flag pauses the programme until every red flag is resolved; who may reach a flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404

from patients.activity.selectors import today_for
from patients.models import Flag
from patients.monitoring.selectors import pause_for, urgency_heading, visible_flag
from tests import factories
from tests.factories import STARTED
from tests.patients.recording import FIRST_MORNING, red_flag_check_in

pytestmark = pytest.mark.django_db


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


def test_the_pause_lasts_until_every_red_flag_is_resolved(patient: Any) -> None:
    """F3: one definition of "paused", from the first unresolved red flag, most urgent advice
    first; acknowledging keeps it, resolving lifts it."""
    factories.prescribe(patient, started_on=STARTED)
    assert pause_for(patient) is None
    red_flag_check_in(patient, STARTED, ["numbness_tingling"])
    red_flag_check_in(patient, STARTED + timedelta(days=1), ["cannot_bear_weight"])
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
