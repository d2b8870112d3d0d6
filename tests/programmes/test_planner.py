"""The planner's behaviour and safety rules, table-driven over the real catalogue."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from programmes.knowledge import Catalogue
from programmes.planner import (
    Intake,
    IntakeError,
    ProgrammePlan,
    Referral,
    as_dict,
    contraindicated_tags,
    intake_to_dict,
    plan,
    validate_intake,
)
from tests.factories import ANSWERED

# What each of the 24 conditions gives with a plain intake (no clearance, no red flags).
CONDITION_OUTCOMES = {
    "achilles_midportion": ("programme", None),
    "achilles_insertional": ("programme", None),
    "achilles_partial_tear": ("referral", "routine"),
    "achilles_rupture": ("referral", "urgent"),
    "retrocalcaneal_bursitis": ("programme", None),
    "retro_achilles_bursitis": ("programme", None),
    "haglunds": ("programme", None),
    "posterior_ankle_impingement": ("referral", "routine"),
    "peroneal_tendinopathy": ("programme", None),
    "posterior_tibial_tendinopathy": ("referral", "routine"),
    "severs_disease": ("programme", None),
    "tarsal_tunnel": ("referral", "routine"),
    "peroneal_neuropathy": ("referral", "routine"),
    "sciatica_referred": ("referral", "routine"),
    "nerve_pain_other": ("referral", "routine"),
    "ankle_sprain": ("programme", None),
    "ankle_oa": ("programme", None),
    "inflammatory_arthritis": ("referral", "routine"),
    "bone_infection": ("referral", "urgent"),
    "plantar_fasciitis": ("programme", None),
    "calcaneal_stress_fracture": ("referral", "soon"),  # F7: imaging within days
    "ankle_fracture": ("referral", "urgent"),  # F7: X-ray the same day
    "vascular_claudication": ("referral", "routine"),
    "calf_strain": ("programme", None),
}

# Intake variations every safety invariant must hold under.
VARIANTS = {
    "plain": {},
    "cleared": {"cleared": True},
    "high_irritability": {"irritability": "high", "cleared": True},
    "circulation": {"circulation_or_sensation_problems": True, "cleared": True},
    "swelling": {"swelling": "yes", "cleared": True},
    "recent_injury": {"recent_injury": "yes", "onset": "acute", "cleared": True},
}

ACUTE_BY_DEFINITION = {"ankle_sprain", "calf_strain"}


def answered(condition: str, **changes: object) -> Intake:
    """An intake with every required answer given (the edges refuse one without them)."""
    return Intake(condition=condition, **({"side": "left"} | ANSWERED | changes))  # type: ignore[arg-type]


def _programme(result: object) -> ProgrammePlan:
    assert isinstance(result, ProgrammePlan), result
    return result


def _slugs(result: ProgrammePlan) -> set[str]:
    return {item.exercise for phase in result.phases for item in phase.items}


def test_the_table_covers_every_condition_in_the_catalogue(catalogue: Catalogue) -> None:
    assert set(CONDITION_OUTCOMES) == set(catalogue.conditions)


@pytest.mark.parametrize(("condition", "expected"), CONDITION_OUTCOMES.items())
def test_each_condition_plans_or_refers_as_its_status_says(
    catalogue: Catalogue, condition: str, expected: tuple[str, str | None]
) -> None:
    result = plan(answered(condition), catalogue)
    status, urgency = expected
    assert result.status == status
    if isinstance(result, Referral):
        assert result.urgency == urgency
        assert result.reasons
        assert all(reason.sources for reason in result.reasons)
    else:
        assert result.phases
        assert all(phase.items for phase in result.phases)


@pytest.mark.parametrize(
    "condition", ["posterior_ankle_impingement", "posterior_tibial_tendinopathy"]
)
def test_after_clearance_conditions_plan_only_once_cleared(
    catalogue: Catalogue, condition: str
) -> None:
    refused = plan(Intake(condition=condition), catalogue)
    assert isinstance(refused, Referral)
    assert [r.code for r in refused.reasons] == ["needs_clearance"]

    cleared = _programme(plan(Intake(condition=condition, cleared=True), catalogue))
    assert "cleared_by_clinician" in {w.code for w in cleared.warnings}


def test_a_cleared_partial_tear_still_refers_because_no_home_protocol_exists(
    catalogue: Catalogue,
) -> None:
    result = plan(answered("achilles_partial_tear", cleared=True), catalogue)
    assert isinstance(result, Referral)
    assert [r.code for r in result.reasons] == ["no_home_protocol"]
    # F43: "planned because a clinician cleared it" belongs to a programme, not a referral.
    assert "cleared_by_clinician" not in {w.code for w in result.warnings}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("condition", CONDITION_OUTCOMES)
def test_it_never_prescribes_a_contraindicated_movement(
    catalogue: Catalogue, condition: str, variant: str
) -> None:
    intake = answered(condition, **VARIANTS[variant])
    spec = catalogue.conditions[condition]
    banned = contraindicated_tags(intake, spec, catalogue)
    assert spec.contraindicated_tags <= banned
    for protocol in catalogue.protocols_for(condition):
        result = plan(dataclasses.replace(intake, protocol=protocol.slug), catalogue)
        if isinstance(result, Referral):
            continue
        for phase in result.phases:
            for item in phase.items:
                assert not set(item.movement_tags) & banned, (protocol.slug, item.exercise)
        for slot in result.ice_heat:
            tag = "cold" if slot.modality == "ice" else "heat"
            assert tag not in banned


def test_insertional_never_lowers_the_heel_below_the_floor(catalogue: Catalogue) -> None:
    result = _programme(plan(Intake(condition="achilles_insertional"), catalogue))
    tags = {t for p in result.phases for i in p.items for t in i.movement_tags}
    assert "below_floor_dorsiflexion" not in tags
    assert "loaded_dorsiflexion" not in tags
    assert "ecc_heel_drop_floor" in _slugs(result)
    assert not {"ecc_heel_drop_straight_step", "ecc_heel_drop_bent_step"} & _slugs(result)


def test_impingement_has_no_loaded_end_range_plantarflexion(catalogue: Catalogue) -> None:
    result = _programme(
        plan(Intake(condition="posterior_ankle_impingement", cleared=True), catalogue)
    )
    for phase in result.phases:
        for item in phase.items:
            assert "end_range_plantarflexion" not in item.movement_tags, item.exercise
            assert "impact" not in item.movement_tags, item.exercise
    assert "heel_raise_mid_range" in _slugs(result)
    assert not {s for s in _slugs(result) if s.startswith(("heel_raise_one", "heel_raise_two"))}


def test_a_contraindicated_exercise_in_bad_data_is_still_left_out(catalogue: Catalogue) -> None:
    # Simulate a clinic editing the insertional protocol to add a step drop: the planner's own
    # filter must catch what the data checks would have caught.
    protocol = catalogue.protocols["achilles_insertional_floor"]
    first = protocol.phases[0]
    bad_item = dataclasses.replace(first.items[0], exercise="ecc_heel_drop_straight_step")
    bad_protocol = dataclasses.replace(
        protocol, phases=(dataclasses.replace(first, items=(*first.items, bad_item)),)
    )
    bad = dataclasses.replace(
        catalogue, protocols={**catalogue.protocols, protocol.slug: bad_protocol}
    )
    result = _programme(plan(Intake(condition="achilles_insertional"), bad))
    assert "ecc_heel_drop_straight_step" not in _slugs(result)
    assert "left_out:ecc_heel_drop_straight_step" in {w.code for w in result.warnings}


RED_FLAG_URGENCY = {
    "sudden_pop": "urgent",
    "cannot_bear_weight": "urgent",
    "redness_warmth_fever": "urgent",
    "dvt_signs": "urgent",  # F23: a swollen, tender calf is same day (inference)
    "pe_signs": "emergency",  # F23: breathlessness or chest pain is the emergency
}


@pytest.mark.parametrize("flag", sorted(RED_FLAG_URGENCY))
def test_rupture_infection_weight_bearing_and_dvt_flags_refer_urgently(
    catalogue: Catalogue, flag: str
) -> None:
    result = plan(Intake(condition="achilles_midportion", red_flags=frozenset({flag})), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == RED_FLAG_URGENCY[flag]
    assert f"red_flag:{flag}" in {r.code for r in result.reasons}


def test_every_red_flag_answer_refers_at_its_own_urgency(catalogue: Catalogue) -> None:
    for slug, flag in catalogue.red_flags.items():
        result = plan(Intake(condition="ankle_oa", red_flags=frozenset({slug})), catalogue)
        assert isinstance(result, Referral), slug
        assert result.urgency == flag.urgency, slug
        assert result.reasons[0].sources == flag.sources


def test_the_most_urgent_of_several_flags_wins(catalogue: Catalogue) -> None:
    flags = frozenset({"numbness_tingling", "sudden_pop"})
    result = plan(Intake(condition="achilles_midportion", red_flags=flags), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == "urgent"
    assert result.reasons[0].code == "red_flag:sudden_pop"


@pytest.mark.parametrize(
    ("condition", "urgency"),
    [
        ("ankle_fracture", "urgent"),
        ("achilles_rupture", "urgent"),
        ("bone_infection", "urgent"),
        ("calcaneal_stress_fracture", "soon"),
        ("tarsal_tunnel", "routine"),
    ],
)
def test_each_refer_only_condition_refers_at_its_own_urgency_f7(
    catalogue: Catalogue, condition: str, urgency: str
) -> None:
    """F7: `plan ankle_fracture` printed "Urgency: routine" beside "X-ray the same day"."""
    result = plan(answered(condition), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == urgency
    assert catalogue.conditions[condition].referral_urgency == urgency


def test_claudication_bans_heat_as_well_as_cold_f37(catalogue: Catalogue) -> None:
    """F37: SEED-002, neither ice nor heat with a circulation problem."""
    assert {"cold", "heat"} <= catalogue.conditions["vascular_claudication"].contraindicated_tags


def test_unable_to_bear_weight_refers_the_same_day(catalogue: Catalogue) -> None:
    result = plan(answered("ankle_sprain", able_to_bear_weight=False), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == "urgent"
    assert [r.code for r in result.reasons] == ["red_flag:cannot_bear_weight"]


def test_posterior_tibial_swelling_refers_even_when_cleared(catalogue: Catalogue) -> None:
    intake = Intake(condition="posterior_tibial_tendinopathy", cleared=True, swelling="yes")
    result = plan(intake, catalogue)
    assert isinstance(result, Referral)
    assert "refer_if:swelling" in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("weeks", "status"), [(0, "referral"), (5, "referral"), (6, "programme"), (20, "programme")]
)
def test_surgery_within_the_supervised_window_refers(
    catalogue: Catalogue, weeks: int, status: str
) -> None:
    intake = Intake(
        condition="posterior_ankle_impingement", cleared=True, weeks_since_surgery=weeks
    )
    result = plan(intake, catalogue)
    assert result.status == status
    codes = {n.code for n in (result.reasons if isinstance(result, Referral) else result.warnings)}
    assert "post_operative" in codes


# --- Ice and heat -------------------------------------------------------------------------


def test_no_ice_or_heat_at_all_with_circulation_or_sensation_problems(
    catalogue: Catalogue,
) -> None:
    for condition in ("ankle_sprain", "achilles_midportion", "ankle_oa"):
        for swelling in ("yes", "no"):
            intake = answered(
                condition,
                swelling=swelling,
                recent_injury=swelling,
                circulation_or_sensation_problems=True,
            )
            result = _programme(plan(intake, catalogue))
            assert result.ice_heat == ()
            assert "no_ice_heat" in {w.code for w in result.warnings}
            tags = {t for p in result.phases for i in p.items for t in i.movement_tags}
            assert not tags & {"cold", "heat", "eyes_closed"}


def test_a_recent_injury_gets_ice_for_the_first_days_and_never_heat(catalogue: Catalogue) -> None:
    intake = answered("ankle_sprain", recent_injury="yes", onset="acute")
    result = _programme(plan(intake, catalogue))
    assert [slot.modality for slot in result.ice_heat] == ["ice"]
    slot = result.ice_heat[0]
    assert (slot.from_day, slot.to_day) == (0, 3)
    assert "R28" in slot.sources


def test_swelling_gets_ice_only(catalogue: Catalogue) -> None:
    result = _programme(plan(answered("achilles_midportion", swelling="yes"), catalogue))
    assert {slot.modality for slot in result.ice_heat} == {"ice"}


def test_heat_only_without_swelling_and_without_a_recent_injury(catalogue: Catalogue) -> None:
    result = _programme(plan(answered("ankle_oa", onset="chronic"), catalogue))
    assert {slot.modality for slot in result.ice_heat} == {"heat"}


def test_an_onset_date_inside_the_acute_window_counts_as_a_recent_injury(
    catalogue: Catalogue,
) -> None:
    window = int(catalogue.threshold("acute_window_days").value)
    assessed = date(2026, 11, 20)
    inside = answered(
        "calf_strain", onset_date=assessed - timedelta(days=window), assessed_on=assessed
    )
    outside = dataclasses.replace(inside, onset_date=assessed - timedelta(days=window + 1))
    assert {s.modality for s in _programme(plan(inside, catalogue)).ice_heat} == {"ice"}
    assert {s.modality for s in _programme(plan(outside, catalogue)).ice_heat} == {"heat"}


# Conditions that get a home programme (after clearance where they need it).
PLANNABLE = [
    c
    for c, (status, _) in CONDITION_OUTCOMES.items()
    if status == "programme"
    or c in {"posterior_ankle_impingement", "posterior_tibial_tendinopathy"}
]
ANSWERS = ("yes", "no", "unknown")


@pytest.mark.parametrize("onset", [None, "acute", "chronic"])
@pytest.mark.parametrize("recent", ANSWERS)
@pytest.mark.parametrize("swelling", ANSWERS)
@pytest.mark.parametrize("condition", PLANNABLE)
def test_heat_only_with_no_swelling_no_recent_injury_and_no_acute_onset_f1(
    catalogue: Catalogue, condition: str, swelling: str, recent: str, onset: str | None
) -> None:
    """F1: heat only when swelling and recent injury are both answered "no", the onset is not
    acute, and the condition is not a sprain or strain (acute by definition); never while an
    answer is unknown (SEED-002, R28, R53)."""
    intake = answered(condition, swelling=swelling, recent_injury=recent, onset=onset, cleared=True)
    result = plan(intake, catalogue)
    if isinstance(result, Referral):  # tibialis posterior refers on any swelling
        assert swelling == "yes"
        assert "refer_if:swelling" in {r.code for r in result.reasons}
        return
    modalities = {slot.modality for slot in result.ice_heat}
    heat_allowed = (
        swelling == "no"
        and recent == "no"
        and onset != "acute"
        and condition not in ACUTE_BY_DEFINITION
    )
    assert ("heat" in modalities) is heat_allowed
    if "unknown" in (swelling, recent) and not modalities:
        assert "no_heat_unknown" in {w.code for w in result.warnings}


@pytest.mark.parametrize("condition", sorted(ACUTE_BY_DEFINITION))
def test_a_sprain_or_strain_gets_heat_only_once_dated_outside_the_acute_window_f1(
    catalogue: Catalogue, condition: str
) -> None:
    window = int(catalogue.threshold("acute_window_days").value)
    assessed = date(2026, 11, 20)
    undated = answered(condition)
    inside = answered(condition, onset_date=assessed - timedelta(days=window), assessed_on=assessed)
    outside = dataclasses.replace(inside, onset_date=assessed - timedelta(days=window + 1))
    assert {s.modality for s in _programme(plan(undated, catalogue)).ice_heat} == {"ice"}
    assert {s.modality for s in _programme(plan(inside, catalogue)).ice_heat} == {"ice"}
    assert {s.modality for s in _programme(plan(outside, catalogue)).ice_heat} == {"heat"}


@pytest.mark.parametrize(
    "stored",
    [
        {"condition": "ankle_oa", "side": "left"},
        {"condition": "ankle_oa", "side": "left", "swelling": False, "recent_injury": False},
    ],
)
def test_an_intake_stored_before_the_answers_were_required_gets_no_heat_f1(
    catalogue: Catalogue, stored: dict[str, object]
) -> None:
    """Old Diagnosis.intake rows (no answers, or unticked boxes) read as unknown."""
    intake = Intake.from_dict(stored)
    assert (intake.swelling or "unknown") == "unknown"
    result = _programme(plan(intake, catalogue))
    assert "heat" not in {slot.modality for slot in result.ice_heat}


@pytest.mark.parametrize("variant", ["plain", "swelling", "recent_injury"])
@pytest.mark.parametrize("condition", [c for c, (s, _) in CONDITION_OUTCOMES.items()])
def test_every_ice_heat_schedule_keeps_the_15_minute_and_2_hour_rules(
    catalogue: Catalogue, condition: str, variant: str
) -> None:
    intake = answered(condition, **VARIANTS[variant])
    result = plan(intake, catalogue)
    if isinstance(result, Referral):
        return
    for slot in result.ice_heat:
        assert slot.max_minutes <= 15
        assert slot.min_gap_hours >= 2
        times = [datetime.strptime(t, "%H:%M") for t in slot.times]
        for earlier, later in pairwise(times):
            assert later - earlier >= timedelta(hours=slot.min_gap_hours)
        assert slot.safety_rules
        assert slot.sources


# --- Dose, protocols, irritability ----------------------------------------------------------


def test_alfredson_is_3_by_15_twice_daily_every_day_for_12_weeks(catalogue: Catalogue) -> None:
    intake = Intake(condition="achilles_midportion", protocol="achilles_midportion_alfredson")
    result = _programme(plan(intake, catalogue))
    (phase,) = result.phases
    assert (phase.start_week, phase.end_week) == (1, 12)
    drops = {i.exercise: i.dose for i in phase.items if i.category == "eccentric"}
    assert set(drops) == {"ecc_heel_drop_straight_step", "ecc_heel_drop_bent_step"}
    for dose in drops.values():
        assert (dose.sets, dose.reps, dose.times_per_day, dose.days_per_week) == (3, 15, 2, 7)


def test_hsr_runs_three_days_a_week_with_the_load_rising_as_reps_fall(
    catalogue: Catalogue,
) -> None:
    intake = Intake(condition="achilles_midportion", protocol="achilles_midportion_hsr")
    result = _programme(plan(intake, catalogue))
    reps = [p.items[0].dose.reps for p in result.phases]
    assert reps == [15, 12, 10, 8, 6]
    assert {i.dose.days_per_week for p in result.phases for i in p.items} == {3}
    assert (result.phases[0].start_week, result.phases[-1].end_week) == (1, 12)


def test_the_default_mid_portion_protocol_is_silbernagel(catalogue: Catalogue) -> None:
    result = _programme(plan(Intake(condition="achilles_midportion"), catalogue))
    assert result.protocol == "achilles_midportion_silbernagel"
    assert [p.start_week for p in result.phases] == [1, 2, 3, 12]


def test_high_irritability_swaps_impact_for_isometric_holds(catalogue: Catalogue) -> None:
    calm = _programme(plan(Intake(condition="achilles_midportion"), catalogue))
    irritable = _programme(
        plan(Intake(condition="achilles_midportion", irritability="high"), catalogue)
    )
    assert "heel_raise_quick_rebound" in _slugs(calm)
    assert "iso_calf_hold" not in _slugs(calm)
    assert "iso_calf_hold" in _slugs(irritable)
    assert not {"heel_raise_quick_rebound", "plyo_progression"} & _slugs(irritable)
    assert "high_irritability" in {w.code for w in irritable.warnings}


def test_every_planned_item_checkpoint_and_warning_cites_a_source(catalogue: Catalogue) -> None:
    for condition in CONDITION_OUTCOMES:
        result = plan(answered(condition, cleared=True, side="both"), catalogue)
        if isinstance(result, Referral):
            continue
        assert all(i.sources for p in result.phases for i in p.items)
        assert all(p.sources for p in result.phases)
        assert all(c.sources for c in result.checkpoints)
        assert all(w.sources for w in result.warnings)


# --- Checkpoints --------------------------------------------------------------------------


def test_mid_portion_checkpoints_include_the_12_week_visa_a_review(catalogue: Catalogue) -> None:
    result = _programme(plan(Intake(condition="achilles_midportion"), catalogue))
    by_slug = {c.timeframe: c for c in result.checkpoints}
    assert by_slug["loading_12_weeks_visa_a"].after_days == 84
    assert set(by_slug["loading_12_weeks_visa_a"].sources) >= {"R7", "R14"}
    assert by_slug["home_stretching_no_relief"].after_days == 7
    assert [c.after_days for c in result.checkpoints] == sorted(
        c.after_days for c in result.checkpoints
    )


@pytest.mark.parametrize("condition", sorted(ACUTE_BY_DEFINITION))
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"onset": "acute", "recent_injury": "yes"},
        {"onset": "chronic"},
        {"onset_date": date(2026, 9, 1), "assessed_on": date(2026, 11, 20)},
    ],
)
def test_a_sprain_or_calf_strain_always_gets_the_early_checkpoints_f2(
    catalogue: Catalogue, condition: str, changes: dict[str, object]
) -> None:
    """F2: a sprain or strain is acute by definition, so the 2–3-day and first-few-days
    checkpoints are attached whatever the onset answer (SEED-002)."""
    result = _programme(plan(answered(condition, **changes), catalogue))
    timeframes = {c.timeframe for c in result.checkpoints}
    assert {"acute_not_better_2_3_days", "sprain_first_few_days"} <= timeframes
    assert result.checkpoints[0].after_days == 2


def test_acute_timeframes_are_not_attached_to_a_chronic_tendinopathy(
    catalogue: Catalogue,
) -> None:
    result = _programme(plan(answered("achilles_midportion", onset="chronic"), catalogue))
    assert "acute_not_better_2_3_days" not in {c.timeframe for c in result.checkpoints}


# --- Warnings -----------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "warned"), [(7, True), (8, False), (14, False), (15, True)])
def test_severs_outside_ages_8_to_14_warns(catalogue: Catalogue, age: int, warned: bool) -> None:
    result = _programme(plan(Intake(condition="severs_disease", age=age), catalogue))
    assert ("age_outside_band" in {w.code for w in result.warnings}) is warned


@pytest.mark.parametrize(
    ("protocol", "age", "warned"),
    [
        ("achilles_midportion_alfredson", 12, True),
        ("achilles_midportion_hsr", 15, True),
        ("achilles_midportion_silbernagel", 14, True),
        ("achilles_insertional_floor", 13, True),
        ("achilles_midportion_alfredson", 16, False),
        ("achilles_midportion_hsr", 40, False),
    ],
)
def test_adult_tendon_protocols_warn_under_16_f33(
    catalogue: Catalogue, protocol: str, age: int, warned: bool
) -> None:
    """F33: Alfredson, HSR, Silbernagel and Jonsson were tested in adults (the 16 cut-off is
    INFERENCE, thresholds.yaml adult_tendon_protocol_min_age)."""
    condition = catalogue.protocols[protocol].condition
    result = _programme(plan(answered(condition, protocol=protocol, age=age), catalogue))
    codes = {w.code for w in result.warnings}
    assert ("adult_protocol_for_a_child" in codes) is warned


@pytest.mark.parametrize("condition", ["severs_disease", "achilles_midportion"])
def test_a_missing_age_is_flagged_where_it_matters_f33(
    catalogue: Catalogue, condition: str
) -> None:
    result = _programme(plan(answered(condition, age=None), catalogue))
    assert "age_not_recorded" in {w.code for w in result.warnings}
    with pytest.raises(IntakeError) as error:
        validate_intake(answered(condition, age=None), catalogue, require_answers=True)
    assert "age" in error.value.fields


def test_bilateral_insertional_pain_prompts_an_enthesitis_screen(catalogue: Catalogue) -> None:
    result = _programme(plan(Intake(condition="achilles_insertional", side="both"), catalogue))
    assert {"bilateral_insertional", "bilateral_achilles"} <= {w.code for w in result.warnings}


def test_a_dancer_with_impingement_is_warned_off_releve(catalogue: Catalogue) -> None:
    intake = Intake(condition="posterior_ankle_impingement", cleared=True, activity="dancer")
    result = _programme(plan(intake, catalogue))
    assert "dancer_impingement" in {w.code for w in result.warnings}


# --- Bad input ----------------------------------------------------------------------------


def test_an_unknown_condition_lists_the_valid_slugs(catalogue: Catalogue) -> None:
    with pytest.raises(IntakeError) as error:
        plan(Intake(condition="achilles_midportoin"), catalogue)
    message = error.value.fields["condition"][0]
    assert "achilles_midportion" in message
    assert "plantar_fasciitis" in message


def test_a_misspelt_red_flag_lists_the_valid_ones(catalogue: Catalogue) -> None:
    intake = Intake(condition="achilles_midportion", red_flags=frozenset({"sudden_pops"}))
    with pytest.raises(IntakeError) as error:
        plan(intake, catalogue)
    valid = error.value.fields["red_flags"][0].split("Valid: ")[1].rstrip(".").split(", ")
    assert set(valid) == set(catalogue.red_flags)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"side": "middle"}, "side"),
        ({"irritability": "extreme"}, "irritability"),
        ({"age": 130}, "age"),
        ({"weeks_since_surgery": -1}, "weeks_since_surgery"),
        ({"protocol": "ankle_oa_gentle"}, "protocol"),
        ({"onset_date": date(2026, 11, 5), "assessed_on": date(2026, 11, 1)}, "onset_date"),
        ({"onset_date": date(2026, 11, 5)}, "assessed_on"),
    ],
)
def test_bad_intake_fields_are_named(
    catalogue: Catalogue, changes: dict[str, object], field: str
) -> None:
    intake = dataclasses.replace(Intake(condition="achilles_midportion"), **changes)  # type: ignore[arg-type]
    with pytest.raises(IntakeError) as error:
        plan(intake, catalogue)
    assert field in error.value.fields


def test_planning_is_deterministic(catalogue: Catalogue) -> None:
    intake = Intake(condition="achilles_midportion", side="left", swelling="yes")
    assert plan(intake, catalogue) == plan(intake, catalogue)
    assert as_dict(plan(intake, catalogue)) == as_dict(plan(intake, catalogue))


def test_intake_round_trips_through_stored_data() -> None:
    intake = Intake(
        condition="ankle_sprain",
        side="left",
        onset_date=date(2026, 11, 1),
        assessed_on=date(2026, 11, 2),
        age=31,
        red_flags=frozenset({"sudden_pop"}),
        recent_injury="yes",
        swelling="unknown",
    )
    assert Intake.from_dict(intake_to_dict(intake)) == intake


def test_stored_intake_with_wrong_types_names_each_field() -> None:
    with pytest.raises(IntakeError) as error:
        Intake.from_dict({"condition": "ankle_oa", "age": "forty", "swelling": 3, "colour": "red"})
    assert set(error.value.fields) == {"age", "swelling", "colour"}


# --- Spinal red flags (F6) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "urgency"),
    [("cauda_equina_signs", "emergency"), ("new_or_worsening_foot_drop", "urgent")],
)
def test_cauda_equina_is_an_emergency_and_new_foot_drop_same_day_f6(
    catalogue: Catalogue, flag: str, urgency: str
) -> None:
    """F6 (INFERENCE, standard spinal red-flag practice; needs sign-off)."""
    assert flag in catalogue.conditions["sciatica_referred"].red_flags
    result = plan(answered("sciatica_referred", red_flags=frozenset({flag})), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == urgency
    assert result.reasons[0].code == f"red_flag:{flag}"


# --- Structured intake screening (requirement 6; F32) ----------------------------------------


@pytest.mark.parametrize(
    ("condition", "ottawa", "expected"),
    [
        ("ankle_sprain", "negative", None),
        ("ankle_sprain", "positive", "screen:ottawa_positive"),
        ("ankle_sprain", "not_assessed", "screen:ottawa_not_assessed"),
        ("ankle_sprain", None, "screen:ottawa_not_assessed"),
        ("ankle_fracture", "not_assessed", "screen:ottawa_not_assessed"),
        ("peroneal_tendinopathy", "positive", "screen:ottawa_positive"),
        ("peroneal_tendinopathy", None, None),  # not a fracture-suspect presentation
    ],
)
def test_ottawa_positive_or_not_assessed_refers_the_same_day_f32(
    catalogue: Catalogue, condition: str, ottawa: str | None, expected: str | None
) -> None:
    """F32: the Ottawa rules are required for a sprain (R26); positive or not assessed is a
    same-day X-ray referral."""
    result = plan(answered(condition, ottawa=ottawa), catalogue)
    if expected is None:
        assert isinstance(result, ProgrammePlan)
        return
    assert isinstance(result, Referral)
    assert result.urgency == "urgent"
    assert expected in {r.code for r in result.reasons}


def test_a_recent_injury_of_a_fracture_prone_condition_needs_the_ottawa_rules(
    catalogue: Catalogue,
) -> None:
    intake = answered("peroneal_tendinopathy", recent_injury="yes", ottawa=None)
    with pytest.raises(IntakeError) as error:
        validate_intake(intake, catalogue, require_answers=True)
    assert "ottawa" in error.value.fields


@pytest.mark.parametrize(
    ("condition", "changes", "expected"),
    [
        ("calf_strain", {"thompson": "positive"}, "screen:thompson_positive"),
        ("calf_strain", {"thompson": "not_done"}, "screen:thompson_not_done"),
        ("calf_strain", {"thompson": None}, "screen:thompson_not_done"),
        ("calf_strain", {"thompson": "negative"}, None),
        (
            "achilles_midportion",
            {"onset": "acute", "thompson": "not_done"},
            "screen:thompson_not_done",
        ),
        (
            "achilles_midportion",
            {"onset": "acute", "thompson": "positive"},
            "screen:thompson_positive",
        ),
        ("achilles_midportion", {"onset": "chronic", "thompson": None}, None),
        (
            "achilles_insertional",
            {"recent_injury": "yes", "thompson": None},
            "screen:thompson_not_done",
        ),
    ],
)
def test_thompson_positive_or_not_done_in_an_acute_calf_or_heel_refers_the_same_day(
    catalogue: Catalogue, condition: str, changes: dict[str, object], expected: str | None
) -> None:
    """Requirement 6: a missed rupture can look like a calf strain or a tendinopathy (R25)."""
    result = plan(answered(condition, **changes), catalogue)
    if expected is None:
        assert isinstance(result, ProgrammePlan)
        return
    assert isinstance(result, Referral)
    assert result.urgency == "urgent"
    assert expected in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("answer", "urgency", "code"),
    [
        ("no", "routine", "refer_only"),
        ("yes", "emergency", "red_flag:cauda_equina_signs"),
        ("unknown", "urgent", "screen:cauda_equina_unknown"),
        (None, "urgent", "screen:cauda_equina_unknown"),
    ],
)
def test_the_cauda_equina_questions_set_the_sciatica_urgency_f6(
    catalogue: Catalogue, answer: str | None, urgency: str, code: str
) -> None:
    result = plan(answered("sciatica_referred", cauda_equina=answer), catalogue)
    assert isinstance(result, Referral)
    assert result.urgency == urgency
    assert code in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("condition", "changes", "field"),
    [
        ("ankle_oa", {"swelling": None}, "swelling"),
        ("ankle_oa", {"recent_injury": None}, "recent_injury"),
        ("ankle_sprain", {"ottawa": None}, "ottawa"),
        ("ankle_fracture", {"ottawa": None}, "ottawa"),
        ("calf_strain", {"thompson": None}, "thompson"),
        ("achilles_midportion", {"onset": "acute", "thompson": None}, "thompson"),
        ("sciatica_referred", {"cauda_equina": None}, "cauda_equina"),
    ],
)
def test_the_edges_require_every_screening_answer_the_condition_needs(
    catalogue: Catalogue, condition: str, changes: dict[str, object], field: str
) -> None:
    intake = answered(condition, **changes)
    validate_intake(intake, catalogue)  # the planner itself accepts it (old stored intakes)
    with pytest.raises(IntakeError) as error:
        validate_intake(intake, catalogue, require_answers=True)
    assert set(error.value.fields) == {field}


@pytest.mark.parametrize(
    "comorbidity", ["diabetes", "peripheral_neuropathy", "peripheral_arterial_disease", "raynauds"]
)
@pytest.mark.parametrize("condition", ["ankle_sprain", "achilles_midportion", "ankle_oa"])
def test_circulation_and_sensation_comorbidities_block_ice_and_heat(
    catalogue: Catalogue, condition: str, comorbidity: str
) -> None:
    """SEED-002: no ice or heat with any circulation or sensation problem."""
    for swelling in ("yes", "no"):
        intake = answered(condition, swelling=swelling, comorbidities=frozenset({comorbidity}))
        result = _programme(plan(intake, catalogue))
        assert result.ice_heat == ()
        assert "no_ice_heat" in {w.code for w in result.warnings}
        assert {"cold", "heat"} <= contraindicated_tags(
            intake, catalogue.conditions[condition], catalogue
        )


@pytest.mark.parametrize(
    ("changes", "code", "source"),
    [
        ({"comorbidities": frozenset({"fluoroquinolone"})}, "rupture_risk_medicine", "SEED-001"),
        ({"comorbidities": frozenset({"steroid_injection"})}, "rupture_risk_medicine", "SEED-003"),
        ({"comorbidities": frozenset({"inflammatory_disease"})}, "inflammatory_disease", "R44"),
        (
            {"comorbidities": frozenset({"familial_hypercholesterolaemia"})},
            "familial_hypercholesterolaemia",
            "R43",
        ),
        ({"dvt_risks": frozenset({"immobilisation"})}, "dvt_risk", "R45"),
        ({"dvt_risks": frozenset({"surgery", "long_travel"})}, "dvt_risk", "R45"),
    ],
)
def test_comorbidities_and_dvt_risk_warn_the_clinician_with_a_source(
    catalogue: Catalogue, changes: dict[str, object], code: str, source: str
) -> None:
    result = _programme(plan(answered("achilles_midportion", **changes), catalogue))
    warning = next(w for w in result.warnings if w.code == code)
    assert source in warning.sources


def test_dvt_risks_and_comorbidities_are_stored_with_the_intake() -> None:
    intake = answered(
        "calf_strain",
        dvt_risks=frozenset({"immobilisation"}),
        comorbidities=frozenset({"diabetes"}),
    )
    stored = intake_to_dict(intake)
    assert stored["dvt_risks"] == ["immobilisation"]
    assert Intake.from_dict(stored) == intake


def test_unknown_comorbidities_are_named(catalogue: Catalogue) -> None:
    intake = answered("ankle_oa", comorbidities=frozenset({"gout"}))
    with pytest.raises(IntakeError) as error:
        plan(intake, catalogue)
    assert "comorbidities" in error.value.fields


# --- F30 / walk-through 5: every prescribed item has a dose a patient can count ------------


def _countable(dose: object) -> bool:
    return getattr(dose, "reps", None) is not None or getattr(dose, "hold_s", None) is not None


def _every_protocol_plan(catalogue: Catalogue) -> list[tuple[str, ProgrammePlan]]:
    plans = []
    for protocol in catalogue.protocols.values():
        for variant in ({"cleared": True}, {"cleared": True, "irritability": "high"}):
            intake = answered(protocol.condition, protocol=protocol.slug, **variant)
            result = plan(intake, catalogue)
            if isinstance(result, ProgrammePlan):
                plans.append((protocol.slug, result))
    return plans


def test_every_planned_item_of_every_protocol_has_a_countable_dose(catalogue: Catalogue) -> None:
    """F30: sets and reps, or a hold — never "dose set by your clinician" or "every day"."""
    plans = _every_protocol_plan(catalogue)
    assert {slug for slug, _ in plans} == set(catalogue.protocols)
    uncountable = {
        (slug, item.exercise)
        for slug, result in plans
        for phase in result.phases
        for item in phase.items
        if not _countable(item.dose)
    }
    assert uncountable == set()


def test_every_home_exercise_has_a_countable_default_for_adds_and_swaps(
    catalogue: Catalogue,
) -> None:
    """F30 / req 11: an added or swapped-in exercise takes its catalogue default dose."""
    uncountable = [
        e.slug
        for e in catalogue.exercises.values()
        if e.category != "ice_heat" and "clinic_only" not in e.movement_tags
        if not _countable(e.dose)
    ]
    assert uncountable == []


@pytest.mark.parametrize(
    ("condition", "exercise"),
    [
        ("ankle_oa", "mob_ankle_pumps"),
        ("ankle_oa", "mob_knee_to_wall"),
        ("peroneal_tendinopathy", "ecc_eversion_partner"),
    ],
)
def test_a_default_dose_with_no_source_is_flagged_for_the_clinician_to_confirm(
    catalogue: Catalogue, condition: str, exercise: str
) -> None:
    """F30: the default is INFERENCE, so the preview asks the clinician to confirm it."""
    result = _programme(plan(Intake(condition=condition, cleared=True), catalogue))
    warnings = {w.code: w for w in result.warnings}
    assert f"dose_to_confirm:{exercise}" in warnings
    assert "INFERENCE" in warnings[f"dose_to_confirm:{exercise}"].sources
    assert exercise in _slugs(result)


def test_a_protocol_with_source_doses_asks_for_no_confirmation(catalogue: Catalogue) -> None:
    intake = Intake(condition="achilles_midportion", protocol="achilles_midportion_alfredson")
    result = _programme(plan(intake, catalogue))
    assert not [w for w in result.warnings if w.code.startswith("dose_to_confirm:")]


def test_an_item_that_sets_its_own_reps_drops_the_inherited_upper_bound(
    catalogue: Catalogue,
) -> None:
    """F42: never "3 × 15–15", and "3 × 10" stays 3 × 10 (not 3 × 10–15)."""
    for protocol in catalogue.protocols.values():
        for phase in protocol.phases:
            for item in phase.items:
                dose = catalogue.exercises[item.exercise].dose.overridden_by(item.dose)
                if item.dose.reps is not None and item.dose.reps_max is None:
                    assert dose.reps_max is None, (protocol.slug, item.exercise)
                if dose.reps_max is not None:
                    assert dose.reps_max > (dose.reps or 0), (protocol.slug, item.exercise)


@pytest.mark.parametrize("slug", ["stretch_gastroc_wall", "stretch_soleus_bent_knee"])
def test_standing_wall_calf_stretches_count_as_loaded_dorsiflexion(
    catalogue: Catalogue, slug: str
) -> None:
    """F10: the same weight-bearing ankle bend as the knee-to-wall lunge."""
    assert "loaded_dorsiflexion" in catalogue.exercises[slug].movement_tags


@pytest.mark.parametrize(
    "condition",
    ["achilles_insertional", "retrocalcaneal_bursitis", "retro_achilles_bursitis", "haglunds"],
)
def test_heel_conditions_get_no_standing_calf_stretch(catalogue: Catalogue, condition: str) -> None:
    """F10: only a gentle, non-weight-bearing stretch once settled, never the wall stretch."""
    result = _programme(plan(Intake(condition=condition, cleared=True), catalogue))
    slugs = _slugs(result)
    assert not slugs & {"stretch_gastroc_wall", "stretch_soleus_bent_knee"}
    if condition != "achilles_insertional":
        assert "stretch_home_generic" in slugs
        assert "dose_to_confirm:stretch_home_generic" in {w.code for w in result.warnings}


def _hsr(catalogue: Catalogue) -> ProgrammePlan:
    intake = Intake(condition="achilles_midportion", protocol="achilles_midportion_hsr")
    return _programme(plan(intake, catalogue))


@pytest.mark.django_db
def test_hsr_has_three_exercises_on_the_same_rm_schedule(catalogue: Catalogue) -> None:
    """F8: Beyer's three bilateral exercises, each on the 15 → 6 RM schedule [R4]."""
    result = _hsr(catalogue)
    for phase in result.phases:
        assert len(phase.items) == 3
        assert len({(i.dose.sets, i.dose.reps, i.dose.load) for i in phase.items}) == 1
    assert "hsr_leg_press_calf_raise" in _slugs(result)
    for slug in ("hsr_seated_calf_raise", "hsr_standing_calf_raise", "hsr_leg_press_calf_raise"):
        steps = " ".join(catalogue_instructions(slug))
        assert "both legs together" in steps


def catalogue_instructions(slug: str) -> list[str]:
    from programmes.models import Exercise

    return list(Exercise.objects.get(slug=slug).instructions)


def test_hsr_asks_the_clinician_to_confirm_equipment_and_a_supervised_session(
    catalogue: Catalogue,
) -> None:
    """F29: HSR was gym-based [R4]."""
    codes = [w.code for w in _hsr(catalogue).warnings]
    assert codes.count("equipment_and_supervision") == 1


def test_body_weight_programmes_need_no_equipment_warning(catalogue: Catalogue) -> None:
    result = _programme(plan(Intake(condition="achilles_midportion"), catalogue))
    assert "equipment_and_supervision" not in {w.code for w in result.warnings}


def test_the_jonsson_phase_runs_the_full_twelve_weeks(catalogue: Catalogue) -> None:
    """F28: 3 × 15 twice a day for 12 weeks [R3]."""
    result = _programme(plan(Intake(condition="achilles_insertional"), catalogue))
    jonsson = next(
        p for p in result.phases if any(i.exercise == "ecc_heel_drop_floor" for i in p.items)
    )
    assert jonsson.end_week - jonsson.start_week + 1 == 12


def test_sprain_balance_starts_after_the_relative_rest_window(catalogue: Catalogue) -> None:
    """F31: no balance work in the first week (rest 2–3 days [R28])."""
    result = _programme(plan(answered("ankle_sprain", onset="acute"), catalogue))
    first_week = [p for p in result.phases if p.start_week == 1]
    assert first_week
    assert not [i for p in first_week for i in p.items if i.category == "balance"]
    assert any(i.category == "balance" for p in result.phases for i in p.items)


def test_tibialis_posterior_criteria_name_only_exercises_in_the_protocol(
    catalogue: Catalogue,
) -> None:
    """F35: the protocol has no heel raises, so no heel-raise criterion."""
    protocol = catalogue.protocols["posterior_tibial_tendinopathy_eccentric"]
    for phase in protocol.phases:
        assert not [c for c in phase.progression_criteria if "heel r" in c.lower()]


def test_the_plantar_programme_advises_insoles_and_marks_the_combination(
    catalogue: Catalogue,
) -> None:
    """F38: both arms of Rathleff 2015 had inserts; stretching plus loading is ours [R37]."""
    first = catalogue.protocols["plantar_fasciitis_high_load"].phases[0]
    assert any("insert" in a.lower() for a in first.advice)
    assert "INFERENCE" in first.sources
