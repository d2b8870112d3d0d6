"""Rule tables for the pure monitoring rules, with the real catalogue's thresholds."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from patients.monitoring.rules import (
    DueCheckpoint,
    Morning,
    PatientState,
    ScoreOn,
    SessionDay,
    adherence_over,
    evaluate,
    reported_late,
)
from programmes.knowledge import Catalogue

TODAY = date(2026, 11, 20)
STARTED = date(2026, 11, 1)


def _days(pains: list[int | None], sessions: int = 2, end: date = TODAY) -> tuple[SessionDay, ...]:
    """One SessionDay per value, the last on `end`; None = nothing logged that day."""
    start = end - timedelta(days=len(pains) - 1)
    return tuple(
        SessionDay(start + timedelta(days=i), sessions, max_pain_during=p, max_pain_after=p)
        for i, p in enumerate(pains)
        if p is not None
    )


def _mornings(pains: list[int], stiffness: int = 5, end: date = TODAY) -> tuple[Morning, ...]:
    start = end - timedelta(days=len(pains) - 1)
    return tuple(Morning(start + timedelta(days=i), p, stiffness) for i, p in enumerate(pains))


@pytest.fixture
def state(catalogue: Catalogue) -> PatientState:
    """A patient doing well: twice-daily sessions all done, pain 2/10, steady mornings."""
    return PatientState(
        today=TODAY,
        started_on=STARTED,
        sessions_per_week=14,
        days=_days([2] * 20),
        mornings=_mornings([2] * 20),
        visa_a=(),
        checkpoints=(),
        thresholds=catalogue.thresholds,
        red_flags=catalogue.red_flags,
        regression="Step back to phase 1.",
    )


def _rules(state: PatientState) -> dict[str, Any]:
    return {f.rule: f for f in evaluate(state)}


def test_a_patient_doing_well_is_offered_progression_and_nothing_else(state: PatientState) -> None:
    findings = _rules(state)
    assert set(findings) == {"ready_to_progress"}
    ready = findings["ready_to_progress"]
    assert ready.kind == "ready_to_progress"
    assert ready.episode == "2026-W47"
    assert ready.evidence == {"max_pain": 2, "limit": 3, "adherence_percent": 100.0}
    assert ready.sources == ("R5b", "INFERENCE")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), set()),
        (("sudden_pop",), {"red_flag:sudden_pop"}),
        (
            ("redness_warmth_fever", "numbness_tingling"),
            {"red_flag:redness_warmth_fever", "red_flag:numbness_tingling"},
        ),
    ],
)
def test_red_flags_in_a_check_in_are_findings(
    state: PatientState, flags: tuple[str, ...], expected: set[str]
) -> None:
    mornings = (*state.mornings[:-1], Morning(TODAY, 3, 10, flags))
    findings = [
        f for f in evaluate(dataclasses.replace(state, mornings=mornings)) if f.kind == "red_flag"
    ]
    assert {f.rule for f in findings} == expected
    for finding in findings:
        assert finding.episode == "2026-11-20"
        assert finding.sources


@pytest.mark.parametrize(("days_ago", "late"), [(6, False), (7, True), (30, True)])
def test_a_red_flag_reported_after_its_window_is_a_finding_marked_late(
    state: PatientState, days_ago: int, late: bool
) -> None:
    """The rules read the last week's red-flag answers; one that arrives later (a phone
    offline for longer) is passed as a late morning and still found, marked late."""
    on = TODAY - timedelta(days=days_ago)
    assert reported_late(today=TODAY, on=on) is late
    morning = Morning(on, 3, 10, ("sudden_pop",))
    judged = dataclasses.replace(state, late_mornings=(morning,) if late else ())
    if not late:
        judged = dataclasses.replace(judged, mornings=(*state.mornings, morning))
    (finding,) = [f for f in evaluate(judged) if f.kind == "red_flag"]
    assert finding.episode == on.isoformat()
    assert finding.evidence.get("reported_late", False) is late
    assert ("reported late" in finding.message) is late
    # Without the late morning, an answer that old is not read at all.
    if late:
        old = dataclasses.replace(state, mornings=(*state.mornings, morning))
        assert not [f for f in evaluate(old) if f.kind == "red_flag"]


@pytest.mark.parametrize(
    ("slug", "urgency", "severity", "advice"),
    [
        # F13: the finding follows the flag's own urgency (red_flags.yaml), not URGENT for all.
        ("pe_signs", "emergency", 3, "emergency services"),
        ("sudden_pop", "urgent", 3, "today"),
        ("skin_changes_after_ice_heat", "soon", 2, "within the next few days"),
        ("numbness_tingling", "routine", 2, "appointment"),
    ],
)
def test_a_red_flag_takes_its_severity_and_suggestion_from_its_urgency(
    state: PatientState, slug: str, urgency: str, severity: int, advice: str
) -> None:
    mornings = (*state.mornings[:-1], Morning(TODAY, 3, 10, (slug,)))
    (finding,) = [
        f for f in evaluate(dataclasses.replace(state, mornings=mornings)) if f.kind == "red_flag"
    ]
    assert finding.severity == severity
    assert finding.evidence["urgency"] == urgency
    assert advice in finding.suggestion
    if urgency in ("soon", "routine"):
        assert "now" not in finding.suggestion


@pytest.mark.parametrize(
    ("flags_today", "unresolved_red_flag", "ready"),
    [
        ((), False, True),
        (("numbness_tingling",), False, False),  # a red flag in the window
        ((), True, False),  # an earlier red flag not yet resolved by the clinician
    ],
)
def test_no_progression_while_a_red_flag_is_open(
    state: PatientState, flags_today: tuple[str, ...], unresolved_red_flag: bool, ready: bool
) -> None:
    """F11: numbness with low pain used to give a red flag *and* "ready to progress"."""
    mornings = (*state.mornings[:-1], Morning(TODAY, 1, 5, flags_today))
    judged = dataclasses.replace(state, mornings=mornings, unresolved_red_flag=unresolved_red_flag)
    assert ("ready_to_progress" in _rules(judged)) is ready


@pytest.mark.parametrize(("pain", "flagged"), [(4, False), (5, False), (6, True), (9, True)])
def test_pain_during_exercise_above_5_steps_back(
    state: PatientState, pain: int, flagged: bool
) -> None:
    days = (*state.days[:-1], SessionDay(TODAY, 2, max_pain_during=pain))
    findings = _rules(dataclasses.replace(state, days=days))
    assert ("pain_during_above_max" in findings) is flagged
    if flagged:
        finding = findings["pain_during_above_max"]
        assert finding.kind == "step_back"
        assert finding.evidence["days"] == {"2026-11-20": pain}
        assert finding.suggestion == "Step back to phase 1."
        assert "R5" in finding.sources
        assert "ready_to_progress" not in findings  # never both


@pytest.mark.parametrize(("pain", "flagged"), [(4, False), (5, False), (6, True), (9, True)])
def test_pain_after_the_session_above_the_limit_steps_back(
    state: PatientState, pain: int, flagged: bool
) -> None:
    """F5: 9/10 after every session for a week used to raise nothing."""
    days = tuple(SessionDay(d.date, 2, max_pain_during=2, max_pain_after=pain) for d in state.days)
    findings = _rules(dataclasses.replace(state, days=days))
    assert ("pain_after_above_max" in findings) is flagged
    if flagged:
        finding = findings["pain_after_above_max"]
        assert finding.kind == "step_back"
        assert len(finding.evidence["days"]) == 7  # the last week
        assert finding.evidence["limit"] == 5
        assert finding.suggestion == "Step back to phase 1."
        assert "ready_to_progress" not in findings


@pytest.mark.parametrize(
    ("last_three", "expected"),
    [
        # F4: each morning against the baseline (first-week mean, 2/10); a single morning at
        # least the NRS MCID (2 points, R18) above it is flagged, two in a row say regress.
        ([2, 2, 2], None),
        ([2, 3, 3], None),  # 1 point: under the MCID
        ([2, 2, 4], ("2026-11-20", 1)),  # exactly the MCID above
        ([2, 3, 4], ("2026-11-20", 1)),
        ([4, 3, 4], ("2026-11-20", 1)),  # 3/10 on the 19th breaks the run
        ([2, 8, 3], ("2026-11-19", 1)),  # settled again today: the 19th stays flagged
        ([2, 8, 8], ("2026-11-19", 2)),  # the jump that stays up: regress
        ([8, 8, 8], ("2026-11-18", 3)),
    ],
)
def test_each_morning_is_compared_with_the_baseline(
    state: PatientState, last_three: list[int], expected: tuple[str, int] | None
) -> None:
    """F4: 2 → 8 → 8 was not flagged when the rule wanted strictly rising mornings."""
    mornings = (*state.mornings[:-3], *_mornings(last_three))
    findings = _rules(dataclasses.replace(state, mornings=mornings))
    found = [f for rule, f in findings.items() if rule.startswith("next_morning")]
    if expected is None:
        assert found == []
        return
    (finding,) = found
    start, run = expected
    assert finding.kind == "step_back"
    assert finding.evidence["baseline"] == 2.0
    assert finding.evidence["baseline_from"] == "first_week"
    assert finding.evidence["margin"] == 2
    assert len(finding.evidence["mornings"]) == run
    assert "R18" in finding.sources
    assert "ready_to_progress" not in findings
    if run >= 2:
        assert finding.rule == "next_morning_above_baseline_repeated"
        assert finding.episode == start
        assert finding.suggestion == "Step back to phase 1."  # the regression
    else:
        assert finding.rule == "next_morning_above_baseline"
        assert finding.episode == start
        assert "next session" in finding.suggestion


def test_a_new_programme_judges_each_morning_against_the_mornings_before_it(
    state: PatientState,
) -> None:
    """F4: in the first week the baseline is the mean of the earlier first-week mornings."""
    started = TODAY - timedelta(days=2)
    fresh = dataclasses.replace(
        state, started_on=started, days=_days([2] * 3), mornings=_mornings([2, 8, 8])
    )
    finding = _rules(fresh)["next_morning_above_baseline_repeated"]
    assert finding.evidence["mornings"] == {"2026-11-19": 8, "2026-11-20": 8}
    # The run began on the 19th, judged against the 18th alone; today's 8 was judged against
    # the mean of 2 and 8 (5/10) and is still at least 2 points above it.
    assert finding.evidence["baseline"] == 2.0


def test_without_first_week_mornings_rest_day_mornings_are_the_baseline(
    state: PatientState,
) -> None:
    """F4: a long programme (week one no longer read) uses mornings after a rest day."""
    started = TODAY - timedelta(days=150)
    # Sessions every day except the 14th and 17th: the mornings after them (15th, 18th) are 1/10.
    days = tuple(d for d in _days([2] * 15) if d.date.day not in (14, 17))
    pains = {15: 1, 18: 1, 20: 4}
    mornings = tuple(Morning(m.date, pains.get(m.date.day, 2), 5) for m in _mornings([2] * 14))
    long = dataclasses.replace(state, started_on=started, days=days, mornings=mornings)
    finding = _rules(long)["next_morning_above_baseline"]
    assert finding.evidence["baseline_from"] == "rest_days"
    assert finding.evidence["baseline"] == 1.0
    assert finding.evidence["mornings"] == {"2026-11-20": 4}


@pytest.mark.parametrize(
    ("last_week", "this_week", "flagged"),
    [
        ([2] * 7, [2] * 7, False),
        ([2] * 7, [3] * 7, True),  # +1.0: the lower end of the tendinopathy MIDs [R56]
        ([2] * 7, [2] * 6 + [3], False),  # +0.14 used to step back (F18)
        ([2] * 7, [2, 2, 3, 3, 3, 3, 3], False),  # +0.7
        ([4] * 7, [3] * 7, False),
    ],
)
def test_morning_pain_rising_week_on_week_steps_back(
    state: PatientState, last_week: list[int], this_week: list[int], flagged: bool
) -> None:
    """F18: the weekly trend needs a rise of at least 1 point in mean morning pain."""
    mornings = _mornings(last_week, end=TODAY - timedelta(days=7)) + _mornings(this_week)
    # Keep first-week mornings at this week's level so only the weekly trend can fire.
    early = _mornings([max(this_week)] * 6, end=TODAY - timedelta(days=14))
    findings = _rules(dataclasses.replace(state, mornings=early + mornings))
    assert ("weekly_trend" in findings) is flagged
    if flagged:
        assert "R56" in findings["weekly_trend"].sources


@pytest.mark.parametrize(
    ("before", "after", "flagged"),
    [(5, 20, True), (5, 15, True), (5, 10, False), (20, 5, False)],
)
def test_stiffness_rising_week_on_week_also_steps_back(
    state: PatientState, before: int, after: int, flagged: bool
) -> None:
    """F18: a set number of stiffness minutes (thresholds.yaml, INFERENCE), not any rise."""
    mornings = _mornings([2] * 7, stiffness=before, end=TODAY - timedelta(days=7)) + _mornings(
        [2] * 7, stiffness=after
    )
    findings = _rules(dataclasses.replace(state, mornings=mornings))
    assert ("weekly_trend" in findings) is flagged
    if flagged:
        finding = findings["weekly_trend"]
        assert finding.evidence["stiffness_mean"] == [before, after]
        assert "stiffness" in finding.message
        assert "pain" not in finding.message.split(":")[1]  # only what rose is named


def test_the_weekly_trend_names_only_what_rose(state: PatientState) -> None:
    """Walk-through finding 11: "rising … stiffness 22 → 18 min" when stiffness fell."""
    mornings = _mornings([2] * 7, stiffness=22, end=TODAY - timedelta(days=7)) + _mornings(
        [4] * 7, stiffness=18
    )
    early = _mornings([4] * 6, end=TODAY - timedelta(days=14))
    finding = _rules(dataclasses.replace(state, mornings=early + mornings))["weekly_trend"]
    assert "pain" in finding.message
    assert "stiffness" not in finding.message
    assert finding.evidence["rose"] == ["pain"]


def test_too_few_check_ins_are_no_trend(state: PatientState) -> None:
    mornings = _mornings([1, 1], end=TODAY - timedelta(days=7)) + _mornings([5, 5])
    assert "weekly_trend" not in _rules(dataclasses.replace(state, mornings=mornings))


@pytest.mark.parametrize(
    ("sessions_done", "expected"),
    [
        (14, {"ready_to_progress"}),  # 100 %
        (12, {"ready_to_progress"}),  # 86 %
        (11, set()),  # 79 %: neither ready nor failing
        (7, set()),  # 50 %: at the limit, not below it
        (6, {"not_adhering"}),  # 43 %
        (0, {"not_adhering"}),
    ],
)
def test_adherence_separates_not_doing_it_from_ready(
    state: PatientState, sessions_done: int, expected: set[str]
) -> None:
    # Spread `sessions_done` over the last 7 days.
    days = []
    for offset in range(7):
        done = 2 if sessions_done >= 2 else sessions_done
        sessions_done -= done
        days.append(SessionDay(TODAY - timedelta(days=offset), done, 1, 1))
    rules = set(_rules(dataclasses.replace(state, days=tuple(days))))
    assert rules & {"ready_to_progress", "not_adhering"} == expected


@pytest.mark.parametrize(
    ("flags_today", "unresolved_red_flag", "not_adhering"),
    [
        ((), False, True),
        ((), True, False),  # paused by an earlier red flag
        (("sudden_pop",), False, False),  # the red flag reported in this very run
    ],
)
def test_a_paused_programme_is_not_called_not_doing_it(
    state: PatientState,
    flags_today: tuple[str, ...],
    unresolved_red_flag: bool,
    not_adhering: bool,
) -> None:
    """F3: a red flag pauses the programme and the patient is told to stop, so the sessions
    they then (rightly) do not log must not read as "not doing it"."""
    days = tuple(SessionDay(TODAY - timedelta(days=offset), 0) for offset in range(7))
    mornings = (*state.mornings[:-1], Morning(TODAY, 2, 5, flags_today))
    judged = dataclasses.replace(
        state, days=days, mornings=mornings, unresolved_red_flag=unresolved_red_flag
    )
    assert ("not_adhering" in _rules(judged)) is not_adhering


def test_adherence_counts_only_days_since_the_start(state: PatientState) -> None:
    fresh = dataclasses.replace(state, started_on=TODAY - timedelta(days=2), days=_days([2] * 3))
    adherence = adherence_over(fresh, 7)
    assert (adherence.done, adherence.prescribed, adherence.days) == (6, 6, 3)
    # Under a week of data: no adherence verdict either way.
    assert not {"ready_to_progress", "not_adhering"} & set(_rules(fresh))


def test_three_sessions_a_week_protocols_are_judged_against_three(state: PatientState) -> None:
    days = tuple(SessionDay(TODAY - timedelta(days=d), 1, 1, 1) for d in (0, 2, 4))
    hsr = dataclasses.replace(state, sessions_per_week=3, days=days)
    assert adherence_over(hsr, 7).percent == 100
    assert "ready_to_progress" in _rules(hsr)


def _checkpoint(catalogue: Catalogue, slug: str, started: date = STARTED) -> DueCheckpoint:
    timeframe = catalogue.timeframes[slug]
    return DueCheckpoint(timeframe, started + timedelta(days=timeframe.after_days))


@pytest.mark.parametrize(
    ("scores", "sessions", "flagged"),
    [
        ((50, 60), 2, True),  # +10 with full adherence: not improving
        ((50, 64), 2, False),  # +14 reaches the threshold
        ((50, 60), 0, False),  # not doing it: the adherence rule speaks instead
    ],
)
def test_visa_a_under_14_points_at_12_weeks_despite_adherence(
    state: PatientState,
    catalogue: Catalogue,
    scores: tuple[int, int],
    sessions: int,
    flagged: bool,
) -> None:
    started = TODAY - timedelta(days=84)
    checkpoint = _checkpoint(catalogue, "loading_12_weeks_visa_a", started)
    later = dataclasses.replace(
        state,
        started_on=started,
        days=tuple(SessionDay(started + timedelta(days=d), sessions) for d in range(85)),
        visa_a=(ScoreOn(started, scores[0]), ScoreOn(TODAY, scores[1])),
        checkpoints=(checkpoint,),
    )
    findings = _rules(later)
    assert ("checkpoint:loading_12_weeks_visa_a" in findings) is flagged
    if flagged:
        finding = findings["checkpoint:loading_12_weeks_visa_a"]
        assert finding.kind == "not_improving"
        assert finding.evidence["change"] == 10
        assert set(finding.sources) >= {"R7", "R14"}
        assert finding.episode == TODAY.isoformat()
    if sessions == 0:
        assert "not_adhering" in findings


def _on_visa_a(
    state: PatientState,
    catalogue: Catalogue,
    days_in: int,
    scores: dict[int, int],
    timeframe: str = "loading_12_weeks_visa_a",
) -> PatientState:
    """`days_in` days into a fully done programme with VISA-A scores on the given days."""
    started = TODAY - timedelta(days=days_in)
    return dataclasses.replace(
        state,
        started_on=started,
        days=tuple(SessionDay(started + timedelta(days=d), 2) for d in range(days_in + 1)),
        visa_a=tuple(ScoreOn(started + timedelta(days=d), v) for d, v in sorted(scores.items())),
        checkpoints=(_checkpoint(catalogue, timeframe, started),),
    )


def test_the_12_week_review_uses_the_first_score_when_none_was_in_week_one(
    state: PatientState, catalogue: Catalogue
) -> None:
    """F17: the review silently never fired without a VISA-A in the first 7 days."""
    later = _on_visa_a(state, catalogue, 84, {20: 50, 84: 60})
    finding = _rules(later)["checkpoint:loading_12_weeks_visa_a"]
    assert finding.evidence["visa_a"] == [50, 60]
    assert finding.evidence["baseline_from"] == "first_score"
    assert "prompt" in finding.message.lower()  # F26: a prompt, not a verdict
    assert "mid-portion" in finding.message


@pytest.mark.parametrize(
    ("days_in", "scores", "prompted"),
    [
        (6, {}, False),  # week one not over yet
        (7, {}, True),  # end of week one, no VISA-A at all
        (30, {}, True),
        (7, {3: 55}, False),
        (30, {20: 55}, False),  # late, but now there is a first score to compare with
    ],
)
def test_a_missing_visa_a_baseline_is_raised_to_the_clinician(
    state: PatientState,
    catalogue: Catalogue,
    days_in: int,
    scores: dict[int, int],
    prompted: bool,
) -> None:
    """F17: no VISA-A baseline by the end of week 1 → a clinician finding, not silence."""
    findings = _rules(_on_visa_a(state, catalogue, days_in, scores))
    assert ("visa_a_no_baseline" in findings) is prompted
    if prompted:
        finding = findings["visa_a_no_baseline"]
        assert finding.severity == 1
        assert finding.episode == (TODAY - timedelta(days=days_in)).isoformat()


def test_no_visa_a_baseline_prompt_without_a_visa_a_review(state: PatientState) -> None:
    assert "visa_a_no_baseline" not in _rules(state)  # no VISA-A checkpoint planned


@pytest.mark.parametrize(("latest", "flagged"), [(56, True), (57, False)])
def test_the_24_week_review_uses_the_7_point_mcid(
    state: PatientState, catalogue: Catalogue, latest: int, flagged: bool
) -> None:
    """F26: the 24-week / 7-point review [R14]."""
    assert catalogue.timeframes["loading_24_weeks_visa_a"].after_days == 168
    later = _on_visa_a(state, catalogue, 168, {0: 50, 168: latest}, "loading_24_weeks_visa_a")
    assert ("checkpoint:loading_24_weeks_visa_a" in _rules(later)) is flagged


@pytest.mark.parametrize(
    ("timeframe", "pains", "flagged"),
    [
        # F12: still above 0 and not fallen by 2 points (NRS MCID) or 30% [R18] → flagged.
        ("acute_not_better_2_3_days", [6, 6, 6], True),
        ("acute_not_better_2_3_days", [6, 5, 5], True),  # 1 point, 17%: was not flagged
        ("acute_not_better_2_3_days", [5, 5, 4], True),
        ("acute_not_better_2_3_days", [6, 5, 4], False),  # 2 points
        ("acute_not_better_2_3_days", [2, 1, 1], False),  # 50%
        ("acute_not_better_2_3_days", [0, 0, 0], False),  # pain gone: was flagged
        ("acute_not_better_2_3_days", [8, 6, 5], True),  # severe (≥ 7) on a morning
        ("acute_not_better_2_3_days", [8, 4, 0], False),  # gone now, even after a severe day
        ("acute_not_better_2_3_days", [8], True),  # one severe check-in is enough
        ("sprain_first_few_days", [6, 5, 5, 5], True),
        ("sprain_first_few_days", [8, 7, 6, 5], False),  # no "severe" part in this rule
        ("sprain_first_few_days", [0, 0, 0, 0], False),
    ],
)
def test_the_early_acute_checkpoints_flag_pain_that_is_severe_or_not_going_away(
    state: PatientState, catalogue: Catalogue, timeframe: str, pains: list[int], flagged: bool
) -> None:
    checkpoint = catalogue.timeframes[timeframe]
    started = TODAY - timedelta(days=max(checkpoint.after_days, len(pains) - 1))
    acute = dataclasses.replace(
        state,
        started_on=started,
        days=(),
        mornings=_mornings(pains),
        checkpoints=(_checkpoint(catalogue, timeframe, started),),
    )
    findings = _rules(acute)
    assert (f"checkpoint:{timeframe}" in findings) is flagged
    if flagged:
        assert "R18" in findings[f"checkpoint:{timeframe}"].sources


def test_a_checkpoint_not_yet_due_is_silent(state: PatientState, catalogue: Catalogue) -> None:
    future = DueCheckpoint(catalogue.timeframes["symptoms_beyond_few_months"], TODAY + timedelta(1))
    assert not [
        f
        for f in evaluate(dataclasses.replace(state, checkpoints=(future,)))
        if f.kind == "not_improving"
    ]


def test_symptoms_persisting_beyond_a_few_months(state: PatientState, catalogue: Catalogue) -> None:
    started = TODAY - timedelta(days=90)
    persisting = dataclasses.replace(
        state,
        started_on=started,
        mornings=_mornings([4] * 91),
        checkpoints=(_checkpoint(catalogue, "symptoms_beyond_few_months", started),),
    )
    finding = _rules(persisting)["checkpoint:symptoms_beyond_few_months"]
    assert finding.suggestion == catalogue.timeframes["symptoms_beyond_few_months"].action
    cleared = dataclasses.replace(
        persisting, mornings=(*persisting.mornings[:-1], Morning(TODAY, 0, 0))
    )
    assert "checkpoint:symptoms_beyond_few_months" not in _rules(cleared)


@pytest.mark.parametrize(
    ("onset_days_ago", "days_on_programme", "first_week", "last_week", "flagged"),
    [
        # F20: counted from the onset, and only when not improving or worsening.
        (200, 50, 5, 5, True),  # months since onset, not improving: due although day 50
        (200, 50, 5, 6, True),  # worsening
        (200, 50, 5, 2, False),  # improving by the MCID
        (200, 8, 5, 5, False),  # one week of home care is no trial yet (review of F20)
        (None, 50, 5, 5, False),  # onset unknown: counted from the start, day 50 is not due
        (60, 50, 5, 5, False),  # onset two months ago: not yet "a few months"
    ],
)
def test_symptoms_beyond_a_few_months_count_from_onset_and_need_no_improvement(
    state: PatientState,
    catalogue: Catalogue,
    onset_days_ago: int | None,
    days_on_programme: int,
    first_week: int,
    last_week: int,
    flagged: bool,
) -> None:
    started = TODAY - timedelta(days=days_on_programme)
    mornings = _mornings([first_week] * 7, end=started + timedelta(days=6)) + _mornings(
        [last_week] * 7
    )
    chronic = dataclasses.replace(
        state,
        started_on=started,
        days=(),
        mornings=tuple(sorted(set(mornings), key=lambda m: m.date)),
        onset_on=None if onset_days_ago is None else TODAY - timedelta(days=onset_days_ago),
        checkpoints=(_checkpoint(catalogue, "symptoms_beyond_few_months", started),),
    )
    findings = _rules(chronic)
    assert ("checkpoint:symptoms_beyond_few_months" in findings) is flagged
    if flagged:
        finding = findings["checkpoint:symptoms_beyond_few_months"]
        assert finding.evidence["counted_from"] == "onset"


@pytest.mark.parametrize(("loading", "flagged"), [(False, True), (True, False)])
def test_the_day_7_home_stretching_checkpoint_is_only_for_self_managed_stretching(
    state: PatientState, catalogue: Catalogue, loading: bool, flagged: bool
) -> None:
    """F19: "no relief from home stretching" is not a verdict on a loading programme."""
    started = TODAY - timedelta(days=7)
    stretching = dataclasses.replace(
        state,
        started_on=started,
        days=(),
        mornings=_mornings([4] * 8),
        loading=loading,
        checkpoints=(_checkpoint(catalogue, "home_stretching_no_relief", started),),
    )
    assert ("checkpoint:home_stretching_no_relief" in _rules(stretching)) is flagged


def test_evaluation_is_deterministic(state: PatientState) -> None:
    assert evaluate(state) == evaluate(state)


def test_a_single_check_in_is_not_judged_against_itself(
    state: PatientState, catalogue: Catalogue
) -> None:
    started = TODAY - timedelta(days=2)
    one = dataclasses.replace(
        state,
        started_on=started,
        mornings=(Morning(TODAY, 6, 30),),
        checkpoints=(_checkpoint(catalogue, "acute_not_better_2_3_days", started),),
    )
    assert "checkpoint:acute_not_better_2_3_days" not in _rules(one)


# --- Per-protocol pain limits (F16, requirement 8) -------------------------------------------


def test_every_protocol_carries_its_own_sourced_pain_limits(catalogue: Catalogue) -> None:
    for slug, protocol in catalogue.protocols.items():
        limits = protocol.pain_limits
        assert limits is not None, slug
        assert limits.sources, slug
        assert 0 <= limits.progress_max <= limits.during_max <= 10, slug
        assert 0 <= limits.after_max <= 10, slug
        assert limits.next_morning_margin >= 1, slug


@pytest.mark.parametrize(
    ("protocol", "pain", "step_back", "ready"),
    [
        # Silbernagel [R5]: up to 5/10 during and after, settled by morning; progress at 5.
        ("achilles_midportion_silbernagel", 5, False, True),
        ("achilles_midportion_silbernagel", 6, True, False),
        # Alfredson [R1]: pain accepted unless disabling (read as 7/10, INFERENCE); load is
        # added only once the drops are pain-free.
        ("achilles_midportion_alfredson", 6, False, False),
        ("achilles_midportion_alfredson", 7, True, False),
        ("achilles_midportion_alfredson", 0, False, True),
        # HSR [R4]: discomfort allowed; it no longer stalls below 3/10.
        ("achilles_midportion_hsr", 4, False, True),
        ("achilles_midportion_hsr", 6, True, False),
        # A protocol on the generic pain-monitoring model keeps the safe zone (≤ 3) to progress.
        ("posterior_ankle_impingement_mid_range", 4, False, False),
        ("posterior_ankle_impingement_mid_range", 3, False, True),
    ],
)
def test_each_protocol_is_judged_by_its_own_pain_limits(
    state: PatientState,
    catalogue: Catalogue,
    protocol: str,
    pain: int,
    step_back: bool,
    ready: bool,
) -> None:
    """F16: one rule (> 5/10 steps back, ≤ 3/10 to progress) used to judge every protocol."""
    limits = catalogue.protocols[protocol].pain_limits
    days = tuple(SessionDay(d.date, 2, max_pain_during=pain) for d in state.days)
    mornings = _mornings([min(pain, 2)] * 20)
    judged = dataclasses.replace(state, days=days, mornings=mornings, pain_limits=limits)
    findings = _rules(judged)
    assert ("pain_during_above_max" in findings) is step_back
    assert ("ready_to_progress" in findings) is ready
    if step_back:
        assert findings["pain_during_above_max"].evidence["limit"] == limits.during_max
        assert set(limits.sources) <= set(findings["pain_during_above_max"].sources)
    if ready:
        assert findings["ready_to_progress"].evidence["limit"] == limits.progress_max


def test_pain_after_uses_the_protocols_own_limit(state: PatientState, catalogue: Catalogue) -> None:
    limits = catalogue.protocols["achilles_midportion_hsr"].pain_limits
    days = tuple(SessionDay(d.date, 2, 2, max_pain_after=limits.after_max + 1) for d in state.days)
    finding = _rules(dataclasses.replace(state, days=days, pain_limits=limits))[
        "pain_after_above_max"
    ]
    assert finding.evidence["limit"] == limits.after_max
