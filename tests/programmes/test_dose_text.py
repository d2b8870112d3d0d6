"""A dose in plain words (`describe_dose`): the one wording Today, My programme, the handout,
the API's `dose_text` and the therapist's pages all show (issue 15, requirement 3)."""

from __future__ import annotations

from typing import Any

import pytest

from programmes.knowledge import DoseSpec
from programmes.text import describe_dose, plain_duration


@pytest.mark.parametrize(
    ("dose", "words"),
    [
        (
            {"sets": 3, "reps": 15, "times_per_day": 2, "days_per_week": 7},
            "3 sets of 15, twice a day, every day",
        ),
        (
            {"sets": 3, "reps": 10, "reps_max": 15, "times_per_day": 1, "days_per_week": 7},
            "3 sets of 10–15, once a day, every day",
        ),
        (
            {"sets": 3, "reps": 15, "load": "15RM", "days_per_week": 3},
            "3 sets of 15, with a weight you can lift 15 times but not 16, 3 days a week",
        ),
        (
            {"sets": 4, "reps": 8, "load": "8RM", "tempo": "3 s up, 3 s down", "rest_s": 120},
            "4 sets of 8, with a weight you can lift 8 times but not 9, "
            "slowly: 3 seconds up, 3 seconds down, rest 2 minutes in between",
        ),
        (
            {"reps": 5, "hold_s": 45, "rest_s": 120},
            "5 holds of 45 seconds, rest 2 minutes in between",
        ),
        ({"sets": 5, "reps": 1, "hold_s": 45}, "5 holds of 45 seconds"),
        ({"sets": 2, "reps": 5, "hold_s": 30}, "2 sets of 5, holding each for 30 seconds"),
        (
            {"reps": 2, "reps_max": 4, "hold_s": 30, "times_per_day": 3},
            "2–4 holds of 30 seconds, 3 times a day",
        ),
        ({"hold_s": 60, "days_per_week": 7}, "hold for 1 minute, every day"),
        ({"reps": 1, "hold_s": 30}, "1 hold of 30 seconds"),
        ({"sets": 1, "reps": 10}, "1 set of 10"),
        ({"reps": 10, "reps_max": 15}, "10–15 times"),
        ({"sets": 3}, "3 sets"),
        ({"load": "body weight", "sets": 3, "reps": 15}, "3 sets of 15, your own body weight"),
        ({}, "dose set by your clinician"),
    ],
)
def test_a_dose_reads_as_plain_words(dose: dict[str, Any], words: str) -> None:
    assert describe_dose(DoseSpec(**dose)) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (90, "90 seconds"), (180, "3 minutes")],
)
def test_a_duration_reads_in_seconds_or_whole_minutes(seconds: int, words: str) -> None:
    assert plain_duration(seconds) == words


def test_no_catalogue_dose_is_written_with_clinician_shorthand(catalogue: Any) -> None:
    """No "×", no "s hold", no "RM" in any dose a patient reads (the catalogue's defaults and
    every protocol item)."""
    doses = [e.dose for e in catalogue.exercises.values()]
    doses += [
        catalogue.exercises[item.exercise].dose.overridden_by(item.dose)
        for protocol in catalogue.protocols.values()
        for phase in protocol.phases
        for item in phase.items
    ]
    for dose in doses:
        words = describe_dose(dose)
        assert "×" not in words, words
        assert " s " not in f"{words} ", words
        assert "RM" not in words, words
