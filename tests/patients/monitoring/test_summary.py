"""The sweep reads the last two weeks day by day and summarises what came before
(`rules.Earlier`): the rules must give exactly the same findings either way, and the means they
take must be exactly `statistics.mean`'s."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace
from datetime import date, timedelta

import pytest

from patients.monitoring.rules import (
    DETAIL_DAYS,
    DueCheckpoint,
    Earlier,
    Morning,
    PatientState,
    ScoreOn,
    SessionDay,
    adherence_over,
    evaluate,
    mean,
    summarise,
)
from programmes.knowledge import Catalogue

TODAY = date(2026, 11, 20)


def _state(rng: random.Random, catalogue: Catalogue) -> PatientState:
    """A random patient: any programme length (longer than the 120 days read included), gaps,
    rest days, several sessions a day, pain rising or falling, rare red flags, checkpoints of
    every kind due or not."""
    started = TODAY - timedelta(days=rng.choice([rng.randint(0, 30), rng.randint(0, 220)]))
    since = max(started - timedelta(days=7), TODAY - timedelta(days=120))
    adherence = rng.choice([0.1, 0.45, 0.8, 0.95])
    checks = rng.choice([0.2, 0.6, 0.95])
    level, slope = rng.randint(0, 8), rng.choice([-1, 0, 0, 1])
    days, mornings, scores = [], [], []
    day = since
    while day <= TODAY:
        weeks = (day - started).days // 7
        pain = max(0, min(10, level + slope * weeks + rng.randint(-2, 2)))
        done = sum(rng.random() < adherence for _ in range(rng.choice([1, 2, 3])))
        if done or rng.random() < 0.3:
            recent = day >= TODAY - timedelta(days=6)
            days.append(
                SessionDay(
                    day,
                    done,
                    max(0, pain + rng.randint(-1, 1)) if recent and done else None,
                    pain if done else None,
                )
            )
        if rng.random() < checks:
            flags = ("sudden_pop",) if rng.random() < 0.01 else ()
            mornings.append(Morning(day, pain, rng.choice([0, 5, 10, 15, 40]), flags))
        if day >= started - timedelta(days=7) and rng.random() < 0.15:
            scores.append(ScoreOn(day, rng.randint(20, 90)))
        day += timedelta(days=1)
    timeframes = list(catalogue.timeframes.values())
    checkpoints = tuple(
        DueCheckpoint(tf, started + timedelta(days=tf.after_days))
        for tf in rng.sample(timeframes, rng.randint(0, min(4, len(timeframes))))
    )
    protocols = [p.pain_limits for p in catalogue.protocols.values() if p.pain_limits]
    return PatientState(
        today=TODAY,
        started_on=started,
        sessions_per_week=rng.choice([3, 7, 14, 21]),
        days=tuple(days),
        mornings=tuple(mornings),
        visa_a=tuple(scores),
        checkpoints=checkpoints,
        thresholds=catalogue.thresholds,
        red_flags=catalogue.red_flags,
        regression="Step back.",
        pain_limits=rng.choice([None, *protocols]),
        unresolved_red_flag=rng.random() < 0.05,
        onset_on=rng.choice([None, started - timedelta(days=rng.randint(0, 400))]),
        loading=rng.random() < 0.5,
    )


def test_a_summarised_state_gives_exactly_the_same_findings(catalogue: Catalogue) -> None:
    rng = random.Random(14)
    kinds: set[str] = set()
    summarised = 0
    for _ in range(3000):
        state = _state(rng, catalogue)
        short = summarise(state)
        # repr: the same numbers of the same types (2 is not 2.0 in the stored evidence).
        assert repr(evaluate(short)) == repr(evaluate(state)), state
        kinds |= {f.rule.split(":")[0] for f in evaluate(state)}
        summarised += len(short.mornings) < len(state.mornings)
    # The draw reaches every rule that reads the history, and most states lose rows.
    assert {
        "next_morning_above_baseline",
        "next_morning_above_baseline_repeated",
        "weekly_trend",
        "checkpoint",
        "not_adhering",
        "ready_to_progress",
        "visa_a_no_baseline",
    } <= kinds
    assert summarised > 1500


def test_the_rest_day_baseline_counts_the_summarised_mornings(catalogue: Catalogue) -> None:
    """A long programme (no first week read): the baseline is the mean of the mornings after a
    rest day, most of them before the last two weeks; today is well above it."""
    started = TODAY - timedelta(days=150)
    since = TODAY - timedelta(days=120)
    span = (TODAY - since).days + 1
    # Sessions every other day; mornings every day at 2 or 3 (a mean of 2.5 on rest mornings,
    # which is neither 2 nor 3), today 7.
    days = tuple(SessionDay(since + timedelta(days=d), 1, 1, 1) for d in range(0, span, 2))
    mornings = tuple(
        Morning(since + timedelta(days=d), 7 if d == span - 1 else 2 + d % 4 // 2, 5)
        for d in range(span)
    )
    state = PatientState(
        today=TODAY,
        started_on=started,
        sessions_per_week=4,
        days=days,
        mornings=mornings,
        visa_a=(),
        checkpoints=(),
        thresholds=catalogue.thresholds,
        red_flags=catalogue.red_flags,
    )
    short = summarise(state)
    assert short.earlier is not None
    assert short.earlier.rest_mornings > 40
    # Of the earlier mornings, only the first, last and worst since the start are carried.
    assert sum(m.date < short.earlier.mornings_from for m in short.mornings) <= 3
    full = {f.rule: f for f in evaluate(state)}
    assert {f.rule: f for f in evaluate(short)} == full
    finding = full["next_morning_above_baseline"]
    assert finding.evidence["baseline_from"] == "rest_days"
    assert finding.evidence["baseline"] == 2.5


def test_adherence_since_the_start_adds_the_summarised_sessions(catalogue: Catalogue) -> None:
    started = TODAY - timedelta(days=40)
    state = PatientState(
        today=TODAY,
        started_on=started,
        sessions_per_week=14,
        days=tuple(SessionDay(started + timedelta(days=d), 2) for d in range(41)),
        mornings=(),
        visa_a=(),
        checkpoints=(),
        thresholds=catalogue.thresholds,
        red_flags=catalogue.red_flags,
    )
    short = summarise(state)
    assert short.earlier == Earlier(TODAY - timedelta(days=DETAIL_DAYS - 1), sessions_done=52)
    assert adherence_over(short, 41) == adherence_over(state, 41)
    assert adherence_over(short, 7) == adherence_over(state, 7)
    with pytest.raises(ValueError, match="since the start"):
        adherence_over(short, 30)  # a window the summary cannot answer


@pytest.mark.parametrize(
    "values",
    [[2, 2], [1, 2], [2, 3, 3], [1, 1, 2], [7] * 13 + [8], [0], list(range(11)) * 9 + [3]],
)
def test_the_mean_is_exactly_statistics_mean(values: list[int]) -> None:
    """An int when exact (the stored evidence shows 2, not 2.0), else the correctly rounded
    float, as statistics.mean gives (its Fractions cost seconds a sweep)."""
    expected = statistics.mean(values)
    got = mean(values)
    assert (got, type(got)) == (expected, type(expected))
    assert mean(values[1:], plus=values[0], more=1) == expected


def test_the_mean_is_the_correctly_rounded_float_of_the_integer_sum() -> None:
    """Adding up float parts drifts in the last digit; integer sum ÷ count does not."""
    values = [9, 8, 2, 5, 9, 7, 10, 9, 1, 9, 0, 7, 4, 8, 3, 3, 7]
    drifted = 0.0
    for value in values:
        drifted += value / len(values)
    assert drifted != statistics.mean(values)
    assert mean(values) == statistics.mean(values) == 101 / 17


def test_a_summarised_state_is_left_as_it_is(catalogue: Catalogue) -> None:
    state = _state(random.Random(1), catalogue)
    short = summarise(state)
    assert summarise(short) is short
    assert replace(short, earlier=None) != state or short.mornings == state.mornings
