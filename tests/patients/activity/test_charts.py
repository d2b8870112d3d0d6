"""Progress charts as SVG geometry: pure, so no database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from patients.activity.charts import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    line_chart,
    progress_charts,
)
from patients.activity.selectors import Progress, ScoredResponse, WeekPoint

PLOT_BOTTOM, PLOT_TOP = HEIGHT - BOTTOM, TOP


def _week(
    n: int,
    during: float | None,
    morning: float | None,
    score: float | None = None,
    subscales: dict[str, float | None] | None = None,
) -> WeekPoint:
    return WeekPoint(
        week=n,
        starts_on=date(2026, 11, 2) + timedelta(weeks=n - 1),
        pain_during=during,
        pain_morning=morning,
        adherence=80.0 if during is not None else None,
        score=score,
        subscales=subscales or {},
    )


def test_values_map_onto_the_plot_area_bottom_to_top() -> None:
    chart = line_chart(
        slug="t",
        title="T",
        summary="S",
        x_labels=["Week 1", "Week 2", "Week 3"],
        series=[("A", [0, 5, 10])],
        y_max=10,
        y_step=2,
    )
    points = chart.lines[0].points
    assert [p.x for p in points] == [LEFT, (LEFT + WIDTH - RIGHT) / 2, WIDTH - RIGHT]
    assert [p.y for p in points] == [PLOT_BOTTOM, (PLOT_BOTTOM + PLOT_TOP) / 2, PLOT_TOP]
    assert [t.label for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]


def test_a_missing_week_breaks_the_line_instead_of_joining_across_it() -> None:
    chart = line_chart(
        slug="t",
        title="T",
        summary="S",
        x_labels=["W1", "W2", "W3", "W4"],
        series=[("A", [2, None, 4, 6])],
        y_max=10,
        y_step=2,
    )
    line = chart.lines[0]
    assert line.path.count("M") == 2
    assert line.path.count("L") == 1
    assert [p.value for p in line.points] == [2, 4, 6]
    assert chart.rows[1] == ("W2", ("no data",))


def test_a_single_week_is_drawn_in_the_middle() -> None:
    chart = line_chart(
        slug="t",
        title="T",
        summary="S",
        x_labels=["Week 1"],
        series=[("A", [3])],
        y_max=10,
        y_step=5,
    )
    assert chart.lines[0].points[0].x == (LEFT + WIDTH - RIGHT) / 2


def test_values_beyond_the_scale_are_clamped_to_the_plot_area() -> None:
    chart = line_chart(
        slug="t",
        title="T",
        summary="S",
        x_labels=["a", "b"],
        series=[("A", [-1, 120])],
        y_max=100,
        y_step=20,
    )
    assert [p.y for p in chart.lines[0].points] == [PLOT_BOTTOM, PLOT_TOP]


def test_series_differ_by_marker_shape_and_dash_not_only_colour() -> None:
    chart = line_chart(
        slug="t",
        title="T",
        summary="S",
        x_labels=["a"],
        series=[("A", [1]), ("B", [2]), ("C", [3])],
        y_max=10,
        y_step=5,
    )
    assert len({(line.shape, line.dash) for line in chart.lines}) == 3
    assert chart.lines[1].points[0].marker.startswith("M")
    assert "h" in chart.lines[1].points[0].marker


def test_progress_gives_pain_adherence_and_questionnaire_charts_with_descriptions() -> None:
    progress = Progress(
        programme=None,
        questionnaire="visa_a",
        weeks=[_week(1, 4, 3, 55), _week(2, 3, None), _week(3, 2, 2, 70)],
    )
    pain, adherence, score = progress_charts(progress)
    assert pain.title == "Pain by week (0–10)"
    assert [line.label for line in pain.lines] == ["Pain during exercise", "Pain next morning"]
    assert "Latest: during exercise 2, next morning 2." in pain.description
    assert adherence.rows[0] == ("Week 1", ("80 %",))
    assert score.title == "VISA-A score (0–100)"
    assert "higher is better" in score.description
    assert [p.value for p in score.lines[0].points] == [55, 70]


def test_no_weeks_no_charts() -> None:
    assert progress_charts(Progress(programme=None, questionnaire="", weeks=[])) == []


def test_faam_is_charted_as_two_separate_subscales_never_as_one_faam_score() -> None:
    """F15: ADL and Sports each get their own chart; no chart calls ADL "the FAAM score"."""
    progress = Progress(
        programme=None,
        questionnaire="faam",
        weeks=[
            _week(1, 4, 3, None, {"adl": 60, "sports": None}),
            _week(2, 3, 2, None, {"adl": 70, "sports": 40}),
        ],
    )
    charts = progress_charts(progress)
    adl, sports = charts[-2:]
    assert (adl.slug, sports.slug) == ("score-adl", "score-sports")
    assert "Daily activities (ADL)" in adl.title
    assert "Sports" in sports.title
    assert [p.value for p in adl.lines[0].points] == [60, 70]
    assert [p.value for p in sports.lines[0].points] == [40]
    assert sports.rows[0] == ("Week 1", ("not scorable",))
    assert all(not chart.title.endswith("FAAM) score") for chart in charts)


@pytest.mark.parametrize(("slug", "top"), [("lefs", "80"), ("faam", "100")])
def test_the_score_axis_runs_to_the_questionnaires_maximum(slug: str, top: str) -> None:
    week = _week(1, 1, 1, 50, {"adl": 50, "sports": 50} if slug == "faam" else None)
    progress = Progress(programme=None, questionnaire=slug, weeks=[week])
    assert progress_charts(progress)[-1].y_ticks[-1].label == top


# --- Change since the first score, against the MCID (requirement 9) -----------------------


def _responses(*points: tuple[int, float | None, dict[str, float | None]]) -> tuple:
    """(programme week, total, subscales) → responses on that week's first day."""
    return tuple(
        ScoredResponse(date(2026, 11, 2) + timedelta(weeks=week - 1), total, subscales)
        for week, total, subscales in points
    )


def _score_progress(slug: str, *points: tuple[int, float | None, dict]) -> Progress:
    last = max(week for week, _, _ in points)
    by_week = {week: (total, subs) for week, total, subs in points}
    weeks = [_week(n, 3, 3, *by_week.get(n, (None, {}))) for n in range(1, last + 1)]
    return Progress(programme=None, questionnaire=slug, weeks=weeks, responses=_responses(*points))


@pytest.mark.parametrize(
    ("slug", "points", "chart_slug", "expected"),
    [
        # VISA-A: 14 points within 24 weeks of the first score [R14].
        ("visa_a", [(1, 40, {}), (5, 56, {})], "score", "+16 since your first score"),
        ("visa_a", [(1, 40, {}), (5, 56, {})], "score", "more than the 14 points"),
        ("visa_a", [(1, 40, {}), (5, 45, {})], "score", "less than the 14 points"),
        ("visa_a", [(1, 40, {}), (5, 54, {})], "score", "at least the 14 points"),
        # From 24 weeks after the first score: 7 points [R14].
        ("visa_a", [(1, 40, {}), (26, 48, {})], "score", "more than the 7 points"),
        ("visa_a", [(1, 60, {}), (5, 44, {})], "score", "−16 since your first score"),
        # LEFS 9 [R17].
        ("lefs", [(1, 40, {}), (3, 50, {})], "score", "more than the 9 points"),
        ("lefs", [(1, 40, {}), (3, 45, {})], "score", "less than the 9 points"),
        # FAAM: each subscale with its own MCID, ADL 8 and Sports 9 [R16].
        (
            "faam",
            [(1, None, {"adl": 50, "sports": 30}), (4, None, {"adl": 59, "sports": 38})],
            "score-adl",
            "more than the 8 points",
        ),
        (
            "faam",
            [(1, None, {"adl": 50, "sports": 30}), (4, None, {"adl": 59, "sports": 38})],
            "score-sports",
            "less than the 9 points",
        ),
        # A not-scorable first Sports score: the baseline is the first scorable one.
        (
            "faam",
            [
                (1, None, {"adl": 50, "sports": None}),
                (2, None, {"adl": 50, "sports": 20}),
                (4, None, {"adl": 52, "sports": 30}),
            ],
            "score-sports",
            "+10 since your first score",
        ),
    ],
)
def test_each_score_chart_states_the_change_since_the_first_score_against_its_mcid(
    catalogue: Any, slug: str, points: list, chart_slug: str, expected: str
) -> None:
    charts = progress_charts(_score_progress(slug, *points), thresholds=catalogue.thresholds)
    chart = next(c for c in charts if c.slug == chart_slug)
    assert expected in chart.change


def test_one_score_is_a_starting_point_not_a_change(catalogue: Any) -> None:
    charts = progress_charts(
        _score_progress("visa_a", (1, 47, {})), thresholds=catalogue.thresholds
    )
    assert "first score: 47" in charts[-1].change.lower()
    assert "since" not in charts[-1].change


@pytest.mark.parametrize(
    ("first_week", "last_week", "expected"),
    [
        ((6, 6), (4, 4), "2 lower than in week 1"),
        ((6, 6), (4, 4), "at least the 2 points"),
        ((3, 3), (2, 2), "at least the 2 points, or 30%"),  # 33% less
        ((3, 3), (2.5, 2.5), "less than the 2 points, or 30%"),  # 17% less
        ((2, 2), (4, 4), "2 higher than in week 1"),
    ],
)
def test_the_pain_chart_states_the_change_in_morning_pain_against_2_points_or_30_percent(
    catalogue: Any, first_week: tuple, last_week: tuple, expected: str
) -> None:
    """Requirement 9: NPRS MCID 2 points or 30% [R18]."""
    weeks = [_week(1, *first_week), _week(2, None, None), _week(3, *last_week)]
    progress = Progress(programme=None, questionnaire="visa_a", weeks=weeks)
    pain = progress_charts(progress, thresholds=catalogue.thresholds)[0]
    assert expected in pain.change


def test_the_patient_sees_plain_words_and_the_therapist_the_sources(catalogue: Any) -> None:
    progress = _score_progress("visa_a", (1, 40, {}), (5, 56, {}))
    patient = progress_charts(progress, thresholds=catalogue.thresholds)
    clinician = progress_charts(progress, thresholds=catalogue.thresholds, for_clinician=True)
    for word in ("R14", "MCID", "INFERENCE", "R18"):
        assert all(word not in c.change and word not in c.description for c in patient)
    assert "MCID" in clinician[-1].change
    assert "R14" in clinician[-1].change
    assert "R18" in clinician[0].change
    assert "since your first score" in patient[-1].change
    assert "since the patient's first score" in clinician[-1].change


def test_the_score_chart_draws_a_line_at_the_first_score_plus_the_mcid(catalogue: Any) -> None:
    charts = progress_charts(
        _score_progress("visa_a", (1, 40, {}), (5, 56, {})), thresholds=catalogue.thresholds
    )
    score = charts[-1]
    assert score.reference is not None
    assert score.reference.value == 54
    assert "noticeable" in score.reference.label.lower()
