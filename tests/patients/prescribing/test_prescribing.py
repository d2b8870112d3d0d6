"""Prescribing from an intake in one step, ending a programme, reminder preferences and
invitations: the services the web pages and the API both call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

from patients.models import Diagnosis
from patients.prescribing.services import end_programme, start_programme
from programmes.models import Programme
from programmes.planner import Intake, ProgrammePlan, Referral
from programmes.services import preview_plan
from rehab.exceptions import DomainError

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _start(patient: Any, therapist: Any, intake: Intake) -> Programme:
    return start_programme(
        patient=patient,
        therapist=therapist,
        intake=intake,
        made_on=DAY,
        started_on=DAY,
        now=timezone.now(),
    )


def test_preview_returns_the_plan_without_storing_anything(patient: Any) -> None:
    result = preview_plan(intake=Intake(condition="achilles_midportion", side="right"))
    assert isinstance(result, ProgrammePlan)
    assert not Diagnosis.objects.exists()
    assert not Programme.objects.exists()


def test_starting_a_programme_stores_the_diagnosis_and_revision_one(
    patient: Any, therapist: Any
) -> None:
    programme = _start(patient, therapist, Intake(condition="achilles_midportion", side="right"))
    assert programme.status == Programme.Status.ACTIVE
    assert programme.diagnosis.intake["condition"] == "achilles_midportion"
    assert programme.current_revision is not None
    assert programme.current_revision.number == 1


def test_a_referral_is_refused_with_its_reasons_and_nothing_is_stored(
    patient: Any, therapist: Any
) -> None:
    intake = Intake(condition="achilles_midportion", side="right", able_to_bear_weight=False)
    assert isinstance(preview_plan(intake=intake), Referral)
    with pytest.raises(DomainError) as error:
        _start(patient, therapist, intake)
    assert error.value.code == "referral"
    assert error.value.fields["condition"]
    assert not Diagnosis.objects.exists()


def test_another_therapist_cannot_start_a_programme(patient: Any, colleague: Any) -> None:
    with pytest.raises(DomainError):
        _start(patient, colleague, Intake(condition="achilles_midportion", side="right"))
    assert not Programme.objects.exists()


def test_ending_a_programme_frees_the_patient_for_a_new_one(patient: Any, therapist: Any) -> None:
    first = _start(patient, therapist, Intake(condition="achilles_midportion", side="right"))
    end_programme(programme=first, by=therapist.user, now=NOW)
    second = _start(patient, therapist, Intake(condition="achilles_insertional", side="right"))
    first.refresh_from_db()
    assert first.status == Programme.Status.ENDED
    assert second.status == Programme.Status.ACTIVE


def test_only_the_patients_therapist_can_end_a_programme(
    patient: Any, therapist: Any, colleague: Any
) -> None:
    programme = _start(patient, therapist, Intake(condition="achilles_midportion", side="right"))
    for outsider in (colleague.user, patient.user):
        with pytest.raises(DomainError):
            end_programme(programme=programme, by=outsider, now=NOW)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ACTIVE
