"""Progress charts as plain SVG geometry. PURE: no ORM, no clock, no templates.

`progress_charts(progress)` turns the weekly points of `selectors.weekly_progress` into
`Chart`s; the template draws each as `<svg role="img">` with a title, a description and a
table of the same numbers. Series differ by marker shape and dash pattern as well as colour,
so a chart reads the same printed in black and white."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from patients.activity.selectors import Progress, ScoredResponse, WeekPoint
from patients.questionnaires.definitions import QUESTIONNAIRES, Questionnaire, short_name
from programmes.knowledge import ThresholdSpec

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
class Reference:
    """A horizontal guide line: the first score plus the change patients notice."""

    value: float
    y: float
    label: str


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
    change: str = ""  # the change since the first value, against the MCID, in words
    reference: Reference | None = None

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


def progress_charts(
    progress: Progress,
    *,
    thresholds: Mapping[str, ThresholdSpec] | None = None,
    for_clinician: bool = False,
) -> list[Chart]:
    """Pain (during exercise, next morning), adherence and questionnaire score by week.

    With `thresholds` (the catalogue's), the pain and score charts also state the change
    since the first value against the change patients notice (MCID): in plain words for the
    patient, with the MCID and its sources for the clinician (`for_clinician`)."""
    mcids = _Mcids(thresholds or {}, for_clinician)
    weeks = progress.weeks
    if not weeks:
        return []
    labels = [f"Week {w.week}" for w in weeks]
    span = f"weeks 1 to {len(weeks)}" if len(weeks) > 1 else "week 1"
    during = [w.pain_during for w in weeks]
    morning = [w.pain_morning for w in weeks]
    adherence = [w.adherence for w in weeks]
    charts = [
        _with_pain_change(
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
            morning,
            mcids,
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
        charts.extend(_score_charts(questionnaire, weeks, labels, span, progress.responses, mcids))
    return charts


def _score_charts(
    questionnaire: Questionnaire,
    weeks: Sequence[WeekPoint],
    labels: list[str],
    span: str,
    responses: Sequence[ScoredResponse],
    mcids: _Mcids,
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
        firsts = [(r.local_date, r.total) for r in responses]
        return [_with_score_change(charts[0], questionnaire.slug, "total", firsts, mcids)]
    short = short_name(questionnaire)
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
        values_on = [(r.local_date, r.subscales.get(subscale.key)) for r in responses]
        charts[-1] = _with_score_change(
            charts[-1], questionnaire.slug, subscale.key, values_on, mcids
        )
    return charts


# --- Change since the first value, against the MCID (requirement 9) -----------------------

# Which catalogue MCID applies to each reported number. VISA-A has two, by the time since
# the first score: 14 points over 12 weeks, 7 over 24 weeks [R14]. The 14 is used until
# 24 weeks have passed, so a change is not called noticeable early (the safer reading).
MCID_SLUGS: dict[tuple[str, str], str] = {
    ("visa_a", "total"): "visa_a_mcid_12_weeks",
    ("lefs", "total"): "lefs_mcid",
    ("faam", "adl"): "faam_adl_mcid",
    ("faam", "sports"): "faam_sports_mcid",
}


@dataclass(frozen=True)
class _Mcids:
    thresholds: Mapping[str, ThresholdSpec]
    for_clinician: bool

    def get(self, slug: str) -> ThresholdSpec | None:
        return self.thresholds.get(slug)

    @property
    def whose(self) -> str:
        """The patient reads "your first score"; the therapist "the patient's"."""
        return "the patient's" if self.for_clinician else "your"

    def cite(self, *specs: ThresholdSpec) -> str:
        """ " (MCID 14; R14)" for the clinician, nothing for the patient."""
        if not self.for_clinician:
            return ""
        values = " or ".join(f"{spec.value:g}" for spec in specs)
        sources = ", ".join(dict.fromkeys(src for spec in specs for src in spec.sources))
        return f" (MCID {values}; {sources})"


def _signed(change: float) -> str:
    amount = f"{abs(round(change, 1)):g}"
    return f"+{amount}" if change > 0 else f"−{amount}" if change < 0 else amount


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _with_score_change(
    chart: Chart,
    questionnaire: str,
    part: str,
    values_on: Sequence[tuple[date, float | None]],
    mcids: _Mcids,
) -> Chart:
    """The change from the first scorable value to the latest, against the part's MCID, and
    a guide line at the first value plus the MCID."""
    scored = [(day, value) for day, value in values_on if value is not None]
    if not scored:
        return chart
    (first_on, first), (last_on, last) = scored[0], scored[-1]
    slug = MCID_SLUGS.get((questionnaire, part))
    later = mcids.get("visa_a_later_mcid_from_weeks")
    later_weeks = int(later.value) if later is not None else None
    if (
        questionnaire == "visa_a"
        and later_weeks is not None
        and (last_on - first_on).days >= later_weeks * 7
    ):
        slug = "visa_a_mcid_24_weeks"
    mcid = mcids.get(slug) if slug else None
    if mcid is None:
        return chart
    cite = mcids.cite(mcid)
    early, late = mcids.get("visa_a_mcid_12_weeks"), mcids.get("visa_a_mcid_24_weeks")
    if questionnaire == "visa_a" and cite and early and late:
        sources = ", ".join(dict.fromkeys((*early.sources, *late.sources)))
        cite = (
            f" (MCID {early.value:g} until {later_weeks} weeks after the first "
            f"score, {late.value:g} from then; {sources}; derived in mid-portion tendinopathy)"
        )
    if len(scored) == 1:
        change = (
            f"{mcids.whose.capitalize()} first score: {format_value(first)} on "
            f"{_day(first_on)}. Later scores are compared with it: a change of "
            f"{mcid.value:g} points or more is one that patients notice.{cite}"
        )
    else:
        difference = round(last - first, 1)
        size = abs(difference)
        verdict = (
            "more than"
            if size > mcid.value
            else "at least"
            if size == mcid.value
            else ("less than")
        )
        change = (
            f"{_signed(difference)} since {mcids.whose} first score on {_day(first_on)} — "
            f"{verdict} the {mcid.value:g} points of change that patients notice.{cite}"
        )
    top = chart.y_ticks[-1]
    y_max = float(top.label)
    reference = None
    if first + mcid.value <= y_max:
        value = first + mcid.value
        plot_bottom, plot_top = chart.plot[3], chart.plot[1]
        y = round(plot_bottom - value / y_max * (plot_bottom - plot_top), 1)
        label = f"First score + {mcid.value:g}: a noticeable change"
        reference = Reference(value, y, label)
    return replace(
        chart, change=change, reference=reference, description=f"{chart.description} {change}"
    )


def _with_pain_change(chart: Chart, morning: Sequence[float | None], mcids: _Mcids) -> Chart:
    """Morning pain, first week with a value against the latest: a change of at least
    2 points or 30% of the first value is one patients notice [R18]."""
    points, percent = mcids.get("nrs_mcid_points"), mcids.get("nrs_mcid_percent")
    known = [(week, value) for week, value in enumerate(morning, start=1) if value is not None]
    if points is None or percent is None or len(known) < 2:
        return chart
    (first_week, first), (_, last) = known[0], known[-1]
    difference = round(last - first, 1)
    size = abs(difference)
    noticed = size >= points.value or (first > 0 and size * 100 / first >= percent.value)
    direction = "lower than" if difference < 0 else "higher than" if difference > 0 else ""
    amount = f"{size:g} {direction}" if difference else "no different from"
    verdict = "at least" if noticed else "less than"
    change = (
        f"Morning pain: {amount} in week {first_week} ({format_value(first)} → "
        f"{format_value(last)}) — {verdict} the {points.value:g} points, or {percent.value:g}%, "
        f"of change that patients notice.{mcids.cite(points, percent)}"
    )
    return replace(chart, change=change, description=f"{chart.description} {change}")
