"""Integrity of the clinical catalogue files: complete, consistent, sourced and safe."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from programmes.catalogue_files import read_catalogue
from programmes.reference_index import read_index, word_runs
from programmes.vocab import Category, HomeStatus, MovementTag

FILES = read_catalogue()
# What the shared clinical reference says, as kept in the repository (reference_index.json,
# made by `manage.py reference_index`): the tests read nothing outside the repository.
REFERENCE = read_index()
EXERCISES = {e["slug"]: e for e in FILES.exercises}
CONDITIONS = {c["slug"]: c for c in FILES.conditions}
SOURCE_CODES = {s["code"] for s in FILES.sources}


def test_all_24_conditions_of_the_reference_are_there_with_a_status() -> None:
    assert len(CONDITIONS) == 24
    for condition in CONDITIONS.values():
        assert condition["home_status"] in HomeStatus.values, condition["slug"]


def test_the_condition_slugs_match_the_reference_table() -> None:
    assert set(REFERENCE.conditions) == set(CONDITIONS)


def test_at_least_35_exercises_cover_every_category() -> None:
    assert len(EXERCISES) >= 35
    assert {e["category"] for e in EXERCISES.values()} == set(Category.values)


def test_every_exercise_has_steps_tags_and_only_known_tags() -> None:
    for slug, exercise in EXERCISES.items():
        assert len(exercise["instructions"]) >= 3, slug
        assert set(exercise["movement_tags"]) <= set(MovementTag.values), slug
        assert exercise["sources"], slug


def test_progression_and_regression_links_point_at_other_exercises() -> None:
    for slug, exercise in EXERCISES.items():
        for link in ("progression", "regression"):
            target = exercise.get(link)
            if target is not None:
                assert target in EXERCISES, (slug, link, target)
                assert target != slug, (slug, link)


def test_every_cited_source_id_resolves() -> None:
    unknown = {(where, code) for where, code in FILES.cited_sources() if code not in SOURCE_CODES}
    assert not unknown


def test_sources_yaml_mirrors_the_reference() -> None:
    assert SOURCE_CODES - {"INFERENCE"} == set(REFERENCE.source_ids)


def test_every_protocol_exercise_exists_and_no_protocol_breaks_its_condition() -> None:
    for protocol in FILES.protocols:
        banned = set(CONDITIONS[protocol["condition"]]["contraindicated_tags"]) | {"clinic_only"}
        for phase in protocol["phases"]:
            assert phase["items"], (protocol["slug"], phase["name"])
            for item in phase["items"]:
                exercise = EXERCISES[item["exercise"]]
                clash = set(exercise["movement_tags"]) & banned
                assert not clash, (protocol["slug"], item["exercise"], clash)
                assert item["sources"], (protocol["slug"], item["exercise"])


def test_every_plannable_condition_has_exactly_one_default_protocol() -> None:
    for slug, condition in CONDITIONS.items():
        defaults = [p for p in FILES.protocols if p["condition"] == slug and p.get("default")]
        if condition["home_status"] == HomeStatus.HOME:
            assert len(defaults) == 1, slug
        elif condition["home_status"] in {HomeStatus.REFER, HomeStatus.REFER_URGENT}:
            assert not [p for p in FILES.protocols if p["condition"] == slug], slug
        else:
            assert len(defaults) <= 1, slug


def test_phase_weeks_run_forward() -> None:
    for protocol in FILES.protocols:
        starts = [phase["start_week"] for phase in protocol["phases"]]
        assert starts == sorted(starts), protocol["slug"]
        for phase in protocol["phases"]:
            if phase.get("end_week") is not None:
                assert phase["end_week"] >= phase["start_week"], protocol["slug"]


def test_the_named_protocols_carry_their_documented_doses() -> None:
    by_slug = {p["slug"]: p for p in FILES.protocols}
    alfredson = by_slug["achilles_midportion_alfredson"]["phases"][0]
    drops = [i for i in alfredson["items"] if i["exercise"].startswith("ecc_")]
    assert [(i["sets"], i["reps"], i["times_per_day"], i["days_per_week"]) for i in drops] == [
        (3, 15, 2, 7),
        (3, 15, 2, 7),
    ]
    assert (alfredson["start_week"], alfredson["end_week"]) == (1, 12)
    jonsson = [
        i
        for phase in by_slug["achilles_insertional_floor"]["phases"]
        for i in phase["items"]
        if i["exercise"] == "ecc_heel_drop_floor"
    ]
    assert [(i["sets"], i["reps"], i["times_per_day"], i["days_per_week"]) for i in jonsson] == [
        (3, 15, 2, 7)
    ]


def test_condition_references_resolve() -> None:
    flags = {f["slug"] for f in FILES.red_flags}
    timeframes = {t["slug"] for t in FILES.timeframes}
    for slug, condition in CONDITIONS.items():
        assert set(condition["red_flags"]) <= flags, slug
        assert set(condition["timeframes"]) <= timeframes, slug
        if condition["home_status"] in {HomeStatus.HOME, HomeStatus.AFTER_CLEARANCE}:
            assert condition["timeframes"], slug


def test_the_five_check_in_red_flags_are_the_ones_patients_are_asked_daily() -> None:
    asked = {f["slug"] for f in FILES.red_flags if f.get("check_in")}
    assert asked == {
        "sudden_pop",
        "cannot_bear_weight",
        "redness_warmth_fever",
        "numbness_tingling",
        "skin_changes_after_ice_heat",
    }


def test_ice_and_heat_rules_are_the_seed_rules() -> None:
    rules = {r["modality"]: r for r in FILES.ice_heat_rules}
    assert set(rules) == {"ice", "heat"}
    for rule in rules.values():
        assert rule["max_minutes"] == 15
        assert rule["min_gap_hours"] >= 2
        assert "SEED-002" in rule["sources"]
    for schedule in FILES.ice_heat_schedules:
        times = [datetime.strptime(t, "%H:%M") for t in schedule["times"]]
        assert times == sorted(times), schedule["slug"]
        gap = timedelta(hours=rules[schedule["modality"]]["min_gap_hours"])
        assert all(b - a >= gap for a, b in pairwise(times)), schedule["slug"]


def test_patient_facing_text_is_in_our_own_words() -> None:
    """No run of ten words from a seed article appears in what patients read."""
    seeds = REFERENCE.seed_runs
    assert len(REFERENCE.seed_files) == 5  # SEED-000…SEED-004
    assert len(seeds) > 1000  # the seeds were read, so the check below means something
    texts = [step for e in FILES.exercises for step in e["instructions"]]
    texts += [f[key] for f in FILES.red_flags for key in ("question", "advice")]
    texts += [a for p in FILES.protocols for ph in p["phases"] for a in ph["advice"] + ph["goals"]]
    copied = [text for text in texts if word_runs(text) & seeds]
    assert not copied
