"""Prescribing and adjusting programmes: revisions, the override rule, permissions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from patients.people.services import record_diagnosis
from programmes.models import Exercise, ProgrammeItem, ProgrammeRevision
from programmes.planner import Intake, ProgrammePlan, plan
from programmes.selectors import catalogue_snapshot
from programmes.services import (
    AddExercise,
    ChangeDose,
    MovePhase,
    RemoveExercise,
    SwapExercise,
    adjust_programme,
    prescribe_programme,
)
from rehab.exceptions import DomainError
from tests import factories

pytestmark = pytest.mark.django_db


def _items(revision: ProgrammeRevision) -> list[ProgrammeItem]:
    return list(
        ProgrammeItem.objects.filter(phase__revision=revision).order_by("phase", "position")
    )


def _item(revision: ProgrammeRevision, exercise: str) -> ProgrammeItem:
    return next(i for i in _items(revision) if i.exercise.slug == exercise)


def test_prescribing_stores_the_plan_as_revision_1(patient: Any) -> None:
    programme = factories.prescribe(patient, started_on=date(2026, 11, 2))
    revision = programme.current_revision
    assert revision.number == 1
    assert revision.kind == "prescribed"
    assert revision.changed_by == patient.therapist.user
    assert revision.phases.count() == 4
    drop = _item(revision, "heel_raise_eccentric_floor")
    assert (drop.sets, drop.reps, drop.days_per_week) == (3, 10, 7)
    assert drop.sources == ["R6"]
    checkpoint = programme.checkpoints.get(timeframe__slug="loading_12_weeks_visa_a")
    assert checkpoint.due_on == date(2027, 1, 25)  # 84 days after 2 November
    assert set(checkpoint.sources) >= {"R7", "R14"}
    assert [s.modality for s in revision.ice_heat_slots.all()] == ["heat"]


def test_a_patient_gets_only_one_active_programme(patient: Any) -> None:
    factories.prescribe(patient)
    with pytest.raises(DomainError) as error:
        factories.prescribe(patient)
    assert error.value.code == "active_programme_exists"


def test_a_plan_for_another_condition_is_refused(patient: Any) -> None:
    intake = Intake(condition="achilles_midportion", side="right")
    diagnosis = record_diagnosis(
        patient=patient, therapist=patient.therapist, intake=intake, made_on=date(2026, 11, 2)
    )
    other = plan(Intake(condition="ankle_oa"), catalogue_snapshot())
    assert isinstance(other, ProgrammePlan)
    with pytest.raises(DomainError) as error:
        prescribe_programme(
            diagnosis=diagnosis,
            plan=other,
            prescribed_by=patient.therapist.user,
            started_on=date(2026, 11, 2),
        )
    assert error.value.code == "plan_mismatch"


def test_only_the_patients_own_therapist_can_diagnose(patient: Any, colleague: Any) -> None:
    with pytest.raises(DomainError):
        record_diagnosis(
            patient=patient,
            therapist=colleague,
            intake=Intake(condition="ankle_oa", side="left"),
            made_on=date(2026, 11, 2),
        )


def test_a_diagnosis_needs_the_side(patient: Any) -> None:
    with pytest.raises(DomainError) as error:
        record_diagnosis(
            patient=patient,
            therapist=patient.therapist,
            intake=Intake(condition="ankle_oa"),
            made_on=date(2026, 11, 2),
        )
    assert "side" in error.value.fields


def test_changing_a_dose_makes_a_new_revision_and_keeps_the_old_one(patient: Any) -> None:
    programme = factories.prescribe(patient)
    first = programme.current_revision
    item = _item(first, "heel_raise_seated")

    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=ChangeDose(item=item.key, dose={"sets": 2}),
        reason="Sore the next morning twice this week.",
    )

    programme.refresh_from_db()
    assert programme.current_revision == revision
    assert (revision.number, revision.kind) == (2, "dose_changed")
    assert revision.reason == "Sore the next morning twice this week."
    assert "3 sets of 10" in revision.summary
    assert "2 sets of 10" in revision.summary
    assert _item(revision, "heel_raise_seated").sets == 2
    assert _item(revision, "heel_raise_seated").key == item.key
    assert ProgrammeItem.objects.get(pk=item.pk).sets == 3  # history untouched
    assert len(_items(revision)) == len(_items(first))


def test_a_contraindicated_exercise_needs_an_override_reason(patient: Any) -> None:
    intake = Intake(condition="achilles_insertional", side="left")
    programme = factories.prescribe(patient, intake)
    step_drop = AddExercise(phase=2, exercise="ecc_heel_drop_straight_step")

    with pytest.raises(DomainError) as error:
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=step_drop,
            reason="Progressing",
        )
    assert error.value.code == "contraindicated"
    assert "below_floor_dorsiflexion" in error.value.fields["override_reason"][0]
    assert programme.revisions.count() == 1

    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=AddExercise(
            phase=2,
            exercise="ecc_heel_drop_straight_step",
            override_reason="Insertional pain gone for 6 weeks; mid-portion symptoms now.",
        ),
        reason="Symptoms moved to the mid-portion.",
    )
    added = _item(revision, "ecc_heel_drop_straight_step")
    assert added.override_reason.startswith("Insertional pain gone")
    assert revision.override_reason == added.override_reason
    assert (added.sets, added.reps) == (3, 15)  # the exercise's default dose


@pytest.mark.parametrize(
    ("condition", "answers", "needs_override"),
    [
        ("ankle_sprain", {"swelling": "yes", "recent_injury": "yes", "onset": "acute"}, True),
        ("achilles_midportion", {"swelling": "unknown"}, True),
        ("achilles_midportion", {"recent_injury": "yes"}, True),
        ("achilles_midportion", {"swelling": "no", "recent_injury": "no"}, False),
    ],
)
def test_a_heat_pack_is_added_only_where_the_planner_would_offer_heat(
    patient: Any, condition: str, answers: dict[str, str], needs_override: bool
) -> None:
    """F1 through the adjust path: heat only with no swelling and not a recent injury, both
    answered (SEED-002); otherwise adding it is a contraindication that needs a reason."""
    programme = factories.prescribe(patient, factories.answered_intake(condition, **answers))
    add_heat = AddExercise(phase=1, exercise="thermo_heat_pack")
    if needs_override:
        with pytest.raises(DomainError) as error:
            adjust_programme(
                programme=programme,
                changed_by=patient.therapist.user,
                change=add_heat,
                reason="Warm up first",
            )
        assert error.value.code == "contraindicated"
    else:
        revision = adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=add_heat,
            reason="Warm up first",
        )
        assert _item(revision, "thermo_heat_pack").override_reason == ""


def test_adding_a_safe_exercise_needs_no_override(patient: Any) -> None:
    programme = factories.prescribe(patient)
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=AddExercise(phase=1, exercise="balance_single_leg_eo", dose={"hold_s": 45}),
        reason="Add balance work.",
    )
    added = _item(revision, "balance_single_leg_eo")
    assert added.hold_s == 45
    assert added.override_reason == ""
    assert revision.kind == "exercise_added"


def test_swapping_checks_the_new_exercise_too(patient: Any) -> None:
    programme = factories.prescribe(patient, Intake(condition="achilles_insertional", side="left"))
    item = _item(programme.current_revision, "heel_raise_seated")
    with pytest.raises(DomainError):
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=SwapExercise(item=item.key, exercise="ecc_heel_drop_bent_step"),
            reason="Try the step version",
        )
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=SwapExercise(item=item.key, exercise="iso_calf_hold"),
        reason="Irritable this week.",
    )
    swapped = [i for i in _items(revision) if i.key == item.key]
    assert [i.exercise.slug for i in swapped] == ["iso_calf_hold"]
    assert revision.kind == "exercise_swapped"


def test_removing_an_exercise(patient: Any) -> None:
    programme = factories.prescribe(patient)
    item = _item(programme.current_revision, "mob_ankle_pumps")
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=RemoveExercise(item=item.key),
        reason="Not needed.",
    )
    assert item.key not in {i.key for i in _items(revision)}
    assert revision.summary == f"Removed {item.exercise.name}"


def test_advancing_and_stepping_back_a_phase(patient: Any) -> None:
    programme = factories.prescribe(patient)
    therapist = patient.therapist.user
    advanced = adjust_programme(
        programme=programme, changed_by=therapist, change=MovePhase(to_phase=2), reason="Ready."
    )
    assert (advanced.current_phase, advanced.kind) == (2, "phase_changed")
    assert advanced.summary.startswith("Advanced")
    back = adjust_programme(
        programme=programme, changed_by=therapist, change=MovePhase(to_phase=1), reason="Flare."
    )
    assert back.current_phase == 1
    assert back.summary.startswith("Stepped back")
    with pytest.raises(DomainError):
        adjust_programme(
            programme=programme, changed_by=therapist, change=MovePhase(to_phase=9), reason="x"
        )


@pytest.mark.parametrize(
    ("dose", "field"), [({"days_per_week": 9}, "days_per_week"), ({"colour": 1}, "colour")]
)
def test_an_invalid_dose_is_refused_with_the_field(
    patient: Any, dose: dict[str, int], field: str
) -> None:
    programme = factories.prescribe(patient)
    item = _items(programme.current_revision)[0]
    with pytest.raises(DomainError) as error:
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=ChangeDose(item=item.key, dose=dose),
            reason="Typo",
        )
    assert field in error.value.fields
    assert programme.revisions.count() == 1


def test_a_change_needs_a_reason(patient: Any) -> None:
    programme = factories.prescribe(patient)
    with pytest.raises(DomainError) as error:
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=MovePhase(to_phase=2),
            reason="   ",
        )
    assert "reason" in error.value.fields


def test_another_therapist_cannot_adjust(patient: Any, colleague: Any) -> None:
    programme = factories.prescribe(patient)
    with pytest.raises(DomainError) as error:
        adjust_programme(
            programme=programme,
            changed_by=colleague.user,
            change=MovePhase(to_phase=2),
            reason="Ready.",
        )
    assert error.value.code == "permission_denied"


def test_an_ended_programme_cannot_be_adjusted(patient: Any) -> None:
    programme = factories.prescribe(patient)
    programme.status = "ended"
    programme.save()
    with pytest.raises(DomainError):
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=MovePhase(to_phase=2),
            reason="Ready.",
        )


def test_revisions_and_their_items_are_immutable(patient: Any) -> None:
    programme = factories.prescribe(patient)
    revision = programme.current_revision
    revision.reason = "rewritten"
    with pytest.raises(ValidationError):
        revision.save()
    item = _items(revision)[0]
    item.sets = 9
    with pytest.raises(ValidationError):
        item.save()


# --- Requirement 11 (walk-through 2): a swapped or added exercise brings its own dose --------


def test_swapping_takes_the_new_exercises_own_dose_and_note(patient: Any) -> None:
    """Req 11: never the replaced item's dose or dose note."""
    programme = factories.prescribe(patient)
    item = _item(programme.current_revision, "heel_raise_seated")
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=SwapExercise(item=item.key, exercise="iso_calf_hold"),
        reason="Irritable this week.",
    )
    swapped = next(i for i in _items(revision) if i.key == item.key)
    assert swapped.dose_dict() == Exercise.objects.get(slug="iso_calf_hold").dose_dict()
    assert swapped.dose_notes != item.dose_notes


def test_swapping_uses_the_dose_the_clinician_types(patient: Any) -> None:
    programme = factories.prescribe(patient)
    item = _item(programme.current_revision, "heel_raise_seated")
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=SwapExercise(item=item.key, exercise="iso_calf_hold", dose={"reps": 4}),
        reason="Irritable this week.",
    )
    swapped = next(i for i in _items(revision) if i.key == item.key)
    assert (swapped.reps, swapped.hold_s) == (4, 45)


@pytest.mark.parametrize("kind", ["add", "swap"])
@pytest.mark.parametrize("override", ["", "The patient insists."])
def test_a_clinic_only_exercise_never_goes_on_a_home_list(
    patient: Any, kind: str, override: str
) -> None:
    """Req 11 / walk-through 2 and 10: refused even with an override, in plain words."""
    programme = factories.prescribe(patient)
    item = _item(programme.current_revision, "heel_raise_seated")
    change = (
        AddExercise(phase=1, exercise="pt_joint_mobilisation", override_reason=override)
        if kind == "add"
        else SwapExercise(item=item.key, exercise="pt_joint_mobilisation", override_reason=override)
    )
    with pytest.raises(DomainError) as error:
        adjust_programme(
            programme=programme, changed_by=patient.therapist.user, change=change, reason="Try."
        )
    assert error.value.code == "clinic_only"
    assert error.value.fields["exercise"] == ["This is given in clinic only, not at home."]
    assert "clinic_only" not in str(error.value.message)
    assert programme.revisions.count() == 1


def test_typing_exact_reps_replaces_a_range(patient: Any) -> None:
    """F42 / walk-through 8: reps 12 on "3 × 10–15" gives 3 × 12, not 3 × 12–15."""
    programme = factories.prescribe(patient)
    item = _item(programme.current_revision, "heel_raise_seated")
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=ChangeDose(item=item.key, dose={"reps": 10, "reps_max": 15}),
        reason="A range.",
    )
    revision = adjust_programme(
        programme=programme,
        changed_by=patient.therapist.user,
        change=ChangeDose(item=item.key, dose={"reps": 12}),
        reason="Exactly 12.",
    )
    changed = _item(revision, "heel_raise_seated")
    assert (changed.reps, changed.reps_max) == (12, None)
    assert "3 sets of 12," in revision.summary
