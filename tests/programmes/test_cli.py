"""`manage.py plan`: the exit statuses a shell sees (0 programme, 3 referral, 2 bad input).

These run the real command in subprocesses against a throwaway SQLite database with the
catalogue loaded, because exit statuses only exist at the process boundary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The required intake answers, each on its least alarming value.
ANSWERS = ("--swelling", "no", "--recent-injury", "no", "--age", "40")
SCREENS = ("--ottawa", "negative", "--thompson", "negative")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    database = tmp_path_factory.mktemp("cli") / "cli.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "rehab.settings",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    empty = run("migrate", "--noinput")
    assert empty.returncode == 0, empty.stderr
    not_loaded = run("plan", "achilles_midportion", *ANSWERS)
    assert not_loaded.returncode == 2
    assert "load_catalogue" in not_loaded.stderr
    loaded = run("load_catalogue")
    assert loaded.returncode == 0, loaded.stderr
    return run


def test_a_programme_exits_0_and_reads_as_text(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "achilles_midportion", "--side", "right", *ANSWERS)
    assert result.returncode == 0, result.stderr
    assert "PROGRAMME — Achilles tendinopathy, mid-portion" in result.stdout
    assert "Phase 1:" in result.stdout
    assert "[R6]" in result.stdout


def test_json_has_the_documented_shape(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "achilles_insertional", *ANSWERS, "--swelling", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "programme"
    assert data["condition"] == "achilles_insertional"
    assert data["referral"] is None
    item = data["phases"][0]["items"][1]
    for key in (
        "exercise",
        "category",
        "movement_tags",
        "sets",
        "reps",
        "hold_s",
        "times_per_day",
        "days_per_week",
        "load",
    ):
        assert key in item
    for phase in data["phases"]:
        assert {"name", "start_week", "end_week", "items", "progression_criteria"} <= set(phase)
        for entry in phase["items"]:
            assert "below_floor_dorsiflexion" not in entry["movement_tags"]
    (ice,) = data["ice_heat"]
    assert ice["modality"] == "ice"
    assert {"max_minutes", "min_gap_hours", "times"} <= set(ice)
    assert all({"after_days", "rule", "sources"} <= set(c) for c in data["checkpoints"])


def test_a_referral_exits_3(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "plan", "achilles_midportion", *ANSWERS, "--red-flag", "sudden_pop", "--format", "json"
    )
    assert result.returncode == 3
    data = json.loads(result.stdout)
    assert data["status"] == "referral"
    assert data["referral"]["urgency"] == "urgent"
    assert data["phases"] == []


def test_cannot_bear_weight_exits_3_as_text(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "ankle_sprain", *ANSWERS, *SCREENS, "--cannot-bear-weight")
    assert result.returncode == 3
    assert "REFERRAL" in result.stdout
    assert "Urgency: urgent" in result.stdout


def test_an_unknown_condition_exits_2_listing_the_valid_slugs(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "achilles", *ANSWERS)
    assert result.returncode == 2
    assert "Unknown condition 'achilles'" in result.stderr
    assert "achilles_midportion" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_red_flag_exits_2_listing_the_valid_ones(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "achilles_midportion", *ANSWERS, "--red-flag", "sudden-pop")
    assert result.returncode == 2
    assert "sudden-pop" in result.stderr
    assert "sudden_pop" in result.stderr


def test_a_bad_option_value_exits_2(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "achilles_midportion", *ANSWERS, "--side", "middle")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    result = run("plan", "severs_disease", *ANSWERS, "--age", "ten")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("left_out", ["--swelling", "--recent-injury", "--age"])
def test_a_missing_required_answer_exits_2_naming_it(run, left_out: str) -> None:  # type: ignore[no-untyped-def]
    """F1: swelling and recent injury are required yes / no / unknown answers."""
    i = ANSWERS.index(left_out)
    args = ANSWERS[:i] + ANSWERS[i + 2 :]
    result = run("plan", "ankle_oa", "--side", "left", *args)
    assert result.returncode == 2
    assert left_out in result.stderr
    assert "Traceback" not in result.stderr


def test_an_acute_sprain_gets_ice_not_heat(run) -> None:  # type: ignore[no-untyped-def]
    """F1: `plan ankle_sprain --acute` used to print heat twice a day from day 0."""
    result = run("plan", "ankle_sprain", *ANSWERS, *SCREENS, "--acute", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert {slot["modality"] for slot in json.loads(result.stdout)["ice_heat"]} == {"ice"}


@pytest.mark.parametrize(
    ("condition", "flag"),
    [
        ("ankle_sprain", "--ottawa"),
        ("calf_strain", "--thompson"),
        ("sciatica_referred", "--cauda-equina"),
    ],
)
def test_a_missing_screening_answer_exits_2_naming_the_flag(run, condition: str, flag: str) -> None:  # type: ignore[no-untyped-def]
    """Requirement 6 (F32): the screens a condition needs are required answers."""
    result = run("plan", condition, *ANSWERS)
    assert result.returncode == 2
    assert flag in result.stderr
    assert "Traceback" not in result.stderr


def test_ottawa_not_assessed_refers_the_same_day(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "ankle_sprain", *ANSWERS, "--ottawa", "not_assessed", "--format", "json")
    assert result.returncode == 3
    referral = json.loads(result.stdout)["referral"]
    assert referral["urgency"] == "urgent"
    assert "screen:ottawa_not_assessed" in {r["code"] for r in referral["reasons"]}


def test_a_circulation_comorbidity_gives_no_ice_or_heat(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "plan",
        "ankle_oa",
        *ANSWERS,
        "--comorbidity",
        "raynauds",
        "--dvt-risk",
        "long_travel",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ice_heat"] == []
    assert {"no_ice_heat", "dvt_risk"} <= {w["code"] for w in data["warnings"]}
