"""Progress charts as plain SVG geometry. PURE: no ORM, no clock, no templates.

`progress_charts(progress)` turns the weekly points of `selectors.weekly_progress` into
`Chart`s; the template draws each as `<svg role="img">` with a title, a description and a
table of the same numbers. Series differ by marker shape and dash pattern as well as colour,
so a chart reads the same printed in black and white."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .questionnaires import QUESTIONNAIRES, Questionnaire
from .selectors import Progress, WeekPoint

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 14, 42  # margins around the plot area, in SVG units
MARKER_RADIUS = 6
# (marker shape, dash pattern, words for the legend) per series, in order.
STYLES = (
    ("circle", "", "solid line, round markers"),
    ("square", "8 5", "dashed line, square markers"),
    ("triangle", "2 4", "dotted line, triangle markers"),
)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    label: str  # the x label, e.g. "Week 2"
    marker: str  # SVG path data for the marker shape


@dataclass(frozen=True)
class Line:
    index: int
    label: str
    shape: str
    dash: str
    style_words: str
    path: str  # SVG path data; a gap in the data starts a new sub-path
    points: tuple[Point, ...]
    legend_marker: str  # marker path data in a 40 × 16 legend swatch


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    description: str
    unit: str
    width: int
    height: int
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # the data table: x label, formatted values

    @property
    def centre_x(self) -> float:
        return (self.plot[0] + self.plot[2]) / 2

    @property
    def centre_y(self) -> float:
        return (self.plot[1] + self.plot[3]) / 2

    @property
    def has_data(self) -> bool:
        return any(line.points for line in self.lines)


def marker_path(shape: str, x: float, y: float, r: float = MARKER_RADIUS) -> str:
    if shape == "square":
        return f"M{x - r:g} {y - r:g}h{2 * r:g}v{2 * r:g}h{-2 * r:g}Z"
    if shape == "triangle":
        return f"M{x:g} {y - r * 1.2:g}L{x + r * 1.1:g} {y + r:g}L{x - r * 1.1:g} {y + r:g}Z"
    return f"M{x - r:g} {y:g}a{r:g} {r:g} 0 1 0 {2 * r:g} 0a{r:g} {r:g} 0 1 0 {-2 * r:g} 0Z"


def format_value(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no data"
    text = f"{round(value, 1):g}"
    return f"{text} {unit}".strip() if unit == "%" else text


def line_chart(
    *,
    slug: str,
    title: str,
    summary: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    y_max: float,
    y_step: float,
    unit: str = "",
    gap_texts: Sequence[Sequence[str | None]] = (),
) -> Chart:
    """A line chart of `series` (label, one value or None per x label) on 0..y_max.
    `gap_texts[s][i]`, when given, says why series s has no value at x i ("not scorable");
    otherwise the data table says "no data"."""
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    count = len(x_labels)

    def x_at(index: int) -> float:
        if count == 1:
            return round((left + right) / 2, 1)
        return round(left + index * (right - left) / (count - 1), 1)

    def y_at(value: float) -> float:
        return round(bottom - min(max(value, 0), y_max) / y_max * (bottom - top), 1)

    steps = round(y_max / y_step)
    y_ticks = tuple(Tick(y_at(i * y_step), f"{i * y_step:g}") for i in range(steps + 1))
    # At most ~10 week labels, so they stay readable on a phone.
    every = max(1, -(-count // 10))
    x_ticks = tuple(
        Tick(x_at(i), label.replace("Week ", ""))
        for i, label in enumerate(x_labels)
        if i % every == 0
    )
    lines = []
    for index, (label, values) in enumerate(series):
        shape, dash, words = STYLES[index % len(STYLES)]
        points, path, pen_down = [], [], False
        for i, value in enumerate(values):
            if value is None:
                pen_down = False
                continue
            x, y = x_at(i), y_at(value)
            path.append(f"{'L' if pen_down else 'M'}{x:g} {y:g}")
            pen_down = True
            points.append(Point(x, y, value, x_labels[i], marker_path(shape, x, y)))
        lines.append(
            Line(
                index=index,
                label=label,
                shape=shape,
                dash=dash,
                style_words=words,
                path="".join(path),
                points=tuple(points),
                legend_marker=marker_path(shape, 20, 8, 4),
            )
        )

    def cell(s: int, i: int) -> str:
        value = series[s][1][i]
        gap = gap_texts[s][i] if s < len(gap_texts) else None
        return gap if value is None and gap else format_value(value, unit)

    rows = tuple(
        (x_label, tuple(cell(s, i) for s in range(len(series))))
        for i, x_label in enumerate(x_labels)
    )
    return Chart(
        slug=slug,
        title=title,
        description=summary,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        plot=(left, top, right, bottom),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        lines=tuple(lines),
        rows=rows,
    )


def _latest(values: Sequence[float | None]) -> str:
    present = [v for v in values if v is not None]
    return format_value(present[-1]) if present else "none yet"


def progress_charts(progress: Progress) -> list[Chart]:
    """Pain (during exercise, next morning), adherence and questionnaire score by week."""
    weeks = progress.weeks
    if not weeks:
        return []
    labels = [f"Week {w.week}" for w in weeks]
    span = f"weeks 1 to {len(weeks)}" if len(weeks) > 1 else "week 1"
    during = [w.pain_during for w in weeks]
    morning = [w.pain_morning for w in weeks]
    adherence = [w.adherence for w in weeks]
    charts = [
        line_chart(
            slug="pain",
            title="Pain by week (0–10)",
            summary=(
                f"Weekly average of the highest pain during exercise and of next-morning pain, "
                f"0 = none, 10 = worst, for {span}. Latest: during exercise {_latest(during)}, "
                f"next morning {_latest(morning)}."
            ),
            x_labels=labels,
            series=[("Pain during exercise", during), ("Pain next morning", morning)],
            y_max=10,
            y_step=2,
        ),
        line_chart(
            slug="adherence",
            title="Sessions done (% of those prescribed)",
            summary=(
                f"Share of the prescribed sessions logged as done each week, for {span}. "
                f"Latest: {_latest(adherence)} %."
            ),
            x_labels=labels,
            series=[("Sessions done", adherence)],
            y_max=100,
            y_step=20,
            unit="%",
        ),
    ]
    questionnaire = QUESTIONNAIRES.get(progress.questionnaire)
    if questionnaire is not None:
        charts.extend(_score_charts(questionnaire, weeks, labels, span))
    return charts


def _score_charts(
    questionnaire: Questionnaire, weeks: Sequence[WeekPoint], labels: list[str], span: str
) -> list[Chart]:
    """One chart per reported number: the total (VISA-A, LEFS), or each FAAM subscale on its
    own chart (F15): the FAAM has no total, and ADL is never shown as "the FAAM score"."""
    direction = "higher is better" if questionnaire.higher_is_better else "lower is better"
    charts = []
    if not questionnaire.subscales:
        scores = [w.score for w in weeks]
        charts.append(
            line_chart(
                slug="score",
                title=f"{questionnaire.name} score (0–{questionnaire.max_score:g})",
                summary=(
                    f"{questionnaire.name} score each week it was answered, 0 to "
                    f"{questionnaire.max_score:g} ({direction}; {questionnaire.max_score:g} = "
                    f"{questionnaire.best_means}), for {span}. Latest: {_latest(scores)}."
                ),
                x_labels=labels,
                series=[(f"{questionnaire.name} score", scores)],
                y_max=questionnaire.max_score,
                y_step=20,
            )
        )
        return charts
    short = _short_name(questionnaire)
    for subscale in questionnaire.subscales:
        values = [w.subscales.get(subscale.key) for w in weeks]
        gaps = [
            "not scorable" if subscale.key in w.subscales and value is None else None
            for w, value in zip(weeks, values, strict=True)
        ]
        charts.append(
            line_chart(
                slug=f"score-{subscale.key}",
                title=f"{short} {subscale.name} (%)",
                summary=(
                    f"{short} {subscale.name} score each week it was answered, 0 to 100% "
                    f"({direction}; 100% = {questionnaire.best_means}), for {span}. A week "
                    f"with too few of its {subscale.items} questions answered (fewer than "
                    f"{subscale.min_answered}) is not scorable and left out. "
                    f"Latest: {_latest(values)}."
                ),
                x_labels=labels,
                series=[(f"{short} {subscale.name}", values)],
                y_max=100,
                y_step=20,
                unit="%",
                gap_texts=[gaps],
            )
        )
    return charts


def _short_name(questionnaire: Questionnaire) -> str:
    """ "FAAM" from "Foot and Ankle Ability Measure (FAAM)"."""
    name = questionnaire.name
    return name[name.rfind("(") + 1 : -1] if name.endswith(")") else name
