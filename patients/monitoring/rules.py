"""Clinical monitoring rules: pure functions from what a patient logged to findings.

`evaluate(state)` reads a `PatientState` (the patient's own local "today", their logs,
check-ins, VISA-A scores, the programme's checkpoints, and the thresholds from the catalogue)
and returns `Finding`s. No ORM, no clock. Each finding names its rule, the episode its evidence
belongs to (so the same finding is raised once), the numbers behind it and the sources.

Rules (sources in the catalogue's thresholds.yaml and timeframes.yaml):
- red_flag:<slug>        a red-flag answer in a check-in → severity and suggestion from the
                         flag's own urgency (reference §5)
- pain_during_above_max  pain during exercise above the protocol's own limit → step back
- pain_after_above_max   pain after the session above the protocol's own limit → step back
                         (limits and sources: protocols.yaml pain_limits; fallback R5, R5b)
- next_morning_above_baseline[_repeated]
                         a morning at least the NRS MCID above the patient's baseline → lighter
                         next session; that many mornings in a row → regress (R5, R18,
                         timeframe next_morning_24h)
- weekly_trend           mean morning pain (≥ 1 point, R56) or stiffness (≥ set minutes) up on
                         last week → step back (R5)
- ready_to_progress      a week within the protocol's progression pain limit with good
                         adherence, no step back and no red flag (in the window or unresolved)
                         → offer progression
- not_adhering           adherence under the limit over 7 days ("not doing it")
- checkpoint:<timeframe> a documented timeframe passed without improvement ("doing it, not
                         improving"; VISA-A only counts with adequate adherence, and is a
                         prompt for review, not a verdict)
- visa_a_no_baseline     a VISA-A review is planned but no VISA-A was recorded by the due day
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol, TypeVar

from patients.schedule import WEEK
from programmes.knowledge import PainLimitsSpec, RedFlagSpec, ThresholdSpec, TimeframeSpec


@dataclass(frozen=True, slots=True)
class SessionDay:
    """What was logged on one local date."""

    date: date
    sessions_done: int
    max_pain_during: int | None = None
    max_pain_after: int | None = None


@dataclass(frozen=True, slots=True)
class Morning:
    date: date
    pain: int
    stiffness_minutes: int
    red_flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoreOn:
    date: date
    value: float


@dataclass(frozen=True, slots=True)
class DueCheckpoint:
    timeframe: TimeframeSpec
    due_on: date


# The rules read the days and mornings of the last two weeks one by one (the week-on-week
# trend is the longest such look); of those before, only what `Earlier` summarises.
DETAIL_DAYS = 2 * WEEK


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the rules read of the days and mornings before `mornings_from`, summarised, so a
    long history need not be carried day by day (`PatientState.earlier`; `summarise`).

    A state with it carries the days from the day before `mornings_from` and the mornings
    from `mornings_from` (today − DETAIL_DAYS + 1), and of the earlier mornings only those of
    the programme's first week and the first, last and worst (highest pain, then latest) since
    the start. Every count covers only what the state was read from (its window)."""

    mornings_from: date
    # Sessions done from the start to the day before the first day the state carries.
    sessions_done: int = 0
    # Mornings after the start and before `mornings_from` that follow a day with no session
    # done (the rest-day baseline): their pain summed, their number, the first one's date.
    rest_pain: int = 0
    rest_mornings: int = 0
    rest_first: date | None = None

    @property
    def days_from(self) -> date:
        return self.mornings_from - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PatientState:
    today: date
    started_on: date
    sessions_per_week: int
    days: tuple[SessionDay, ...]
    mornings: tuple[Morning, ...]
    visa_a: tuple[ScoreOn, ...]
    checkpoints: tuple[DueCheckpoint, ...]
    thresholds: Mapping[str, ThresholdSpec]
    red_flags: Mapping[str, RedFlagSpec]
    regression: str = ""
    # The protocol's own pain rule (F16); None: thresholds.yaml's pain-monitoring model.
    pain_limits: PainLimitsSpec | None = None
    # A red-flag Flag the clinician has not resolved, however old (F11): no progression.
    unresolved_red_flag: bool = False
    # When the symptoms began (the diagnosis intake's onset date), if known (F20).
    onset_on: date | None = None
    # The current phase loads the tendon (isometric, eccentric or strength work), rather than
    # being self-managed stretching and care (F19).
    loading: bool = False
    # None: `days` and `mornings` hold everything read; else they hold the last two weeks and
    # the rest is summarised here (what the sweep builds; `summarise` gives the same).
    earlier: Earlier | None = None
    # Mornings that arrived after RED_FLAG_WINDOW_DAYS had passed them (a phone offline for
    # longer): their red flags are still raised, marked as reported late.
    late_mornings: tuple[Morning, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    episode: str
    kind: str
    severity: int
    message: str
    evidence: Mapping[str, object]
    sources: tuple[str, ...]
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class Adherence:
    done: int
    prescribed: int
    days: int = field(default=WEEK)

    @property
    def percent(self) -> float | None:
        return (
            None
            if self.prescribed == 0
            else 100 * min(self.done, self.prescribed) / self.prescribed
        )


INFO, REVIEW, URGENT = 1, 2, 3


def mean(values: Iterable[int], *, plus: int = 0, more: int = 0) -> float:
    """The mean of whole numbers (and of `more` others summing to `plus`) exactly as
    `statistics.mean` gives it (an int when the division is exact, else the correctly
    rounded float of sum ÷ count), without its per-value Fraction arithmetic: the sweep takes
    tens of thousands of means. Integer sums are exact and int / int is correctly rounded,
    so the flags cannot differ."""
    total, count = plus, more
    for value in values:
        total += value
        count += 1
    if not count:
        raise ValueError("mean requires at least one value")
    whole, remainder = divmod(total, count)
    return whole if remainder == 0 else total / count


def summarise(state: PatientState) -> PatientState:
    """The same state with the days and mornings before the last two weeks summarised
    (`Earlier`), as the sweep reads it: `evaluate` gives the same findings for both."""
    if state.earlier is not None:
        return state
    cut = state.today - timedelta(days=DETAIL_DAYS - 1)
    earlier = Earlier(mornings_from=cut)
    done = {d.date for d in state.days if d.sessions_done}
    rest = [
        m
        for m in state.mornings
        if state.started_on < m.date < cut and m.date - timedelta(days=1) not in done
    ]
    since_start = [m for m in state.mornings if state.started_on <= m.date < cut]
    notable = {
        *(
            m
            for m in state.mornings
            if state.started_on <= m.date < state.started_on + timedelta(WEEK) and m.date < cut
        ),
        *(
            (since_start[0], since_start[-1], max(since_start, key=lambda m: (m.pain, m.date)))
            if since_start
            else ()
        ),
    }
    return replace(
        state,
        days=tuple(d for d in state.days if d.date >= earlier.days_from),
        mornings=tuple(
            sorted((*notable, *(m for m in state.mornings if m.date >= cut)), key=lambda m: m.date)
        ),
        earlier=replace(
            earlier,
            sessions_done=sum(
                d.sessions_done
                for d in state.days
                if state.started_on <= d.date < earlier.days_from
            ),
            rest_pain=sum(m.pain for m in rest),
            rest_mornings=len(rest),
            rest_first=rest[0].date if rest else None,
        ),
    )


def evaluate(state: PatientState) -> list[Finding]:
    findings = _red_flags(state)
    step_back = [
        f
        for f in (
            _pain_during(state),
            _pain_after(state),
            _morning_above_baseline(state),
            _weekly_trend(state),
        )
        if f is not None
    ]
    findings += step_back
    adherence = adherence_over(state, WEEK)
    red_flag = state.unresolved_red_flag or any(f.kind == "red_flag" for f in findings)
    if not red_flag:  # F3: paused and told to stop is not "not doing it"
        findings += [f for f in (_not_adhering(state, adherence),) if f is not None]
    if not step_back and not red_flag:  # F11: never progress over a red flag
        findings += [f for f in (_ready_to_progress(state, adherence),) if f is not None]
    findings += _checkpoints(state)
    findings += [f for f in (_visa_a_no_baseline(state),) if f is not None]
    return findings


def adherence_over(state: PatientState, days: int) -> Adherence:
    """Sessions done against sessions prescribed over the last `days` local days (today
    included), counting only days since the programme started."""
    done = {d.date: d.sessions_done for d in state.days}
    result = adherence(
        started_on=state.started_on,
        today=state.today,
        sessions_per_week=state.sessions_per_week,
        done_on=done,
        days=days,
    )
    earlier = state.earlier
    first = max(state.started_on, state.today - timedelta(days=days - 1))
    if earlier is None or first >= earlier.days_from:
        return result
    if first > state.started_on:
        raise ValueError("a summarised state knows the sessions done since the start only")
    return replace(result, done=result.done + earlier.sessions_done)


def adherence(
    *,
    started_on: date,
    today: date,
    sessions_per_week: int,
    done_on: Mapping[date, int],
    days: int = WEEK,
) -> Adherence:
    """The one definition of adherence, shared by the monitoring rules, the caseload and the
    progress pages: sessions done / sessions prescribed over the window."""
    first = max(started_on, today - timedelta(days=days - 1))
    span = (today - first).days + 1
    if span <= 0:
        return Adherence(0, 0, 0)
    prescribed = round(sessions_per_week * span / WEEK)
    done = sum(n for day, n in done_on.items() if first <= day <= today)
    return Adherence(done=done, prescribed=prescribed, days=span)


def _threshold(state: PatientState, slug: str) -> ThresholdSpec:
    return state.thresholds[slug]


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class _Dated(Protocol):
    @property
    def date(self) -> date: ...


D = TypeVar("D", bound=_Dated)


def _recent(state: PatientState, items: Iterable[D], days: int) -> list[D]:
    start = state.today - timedelta(days=days - 1)
    return [i for i in items if start <= i.date <= state.today]


# F13: a red-flag finding follows the flag's own urgency (red_flags.yaml; vocab.Urgency).
# Emergency and same-day flags are URGENT (notified at once). "Within days" and "book an
# appointment" are REVIEW, not INFO: a red-flag answer always needs a clinician to look at it
# and act (REVIEW keeps it on the open list and in the daily digest; INFO would let a routine
# red flag read like a progress note).
RED_FLAG_RESPONSE: Mapping[str, tuple[int, str, str]] = {
    "emergency": (
        URGENT,
        "emergency",
        "Contact the patient now; advise them to call emergency services.",
    ),
    "urgent": (URGENT, "same day", "Contact the patient today; advise them to be seen today."),
    "soon": (
        REVIEW,
        "within days",
        "Contact the patient and arrange a review within the next few days.",
    ),
    "routine": (REVIEW, "routine", "Book the patient an appointment to review this."),
}


# The red-flag answers the rules read: those of the last week (today included). A check-in
# dated before that window reaches them only as a late morning (`PatientState.late_mornings`).
RED_FLAG_WINDOW_DAYS = WEEK


def reported_late(*, today: date, on: date) -> bool:
    """Whether a check-in dated `on` is outside the red-flag window on the patient's `today`."""
    return on < today - timedelta(days=RED_FLAG_WINDOW_DAYS - 1)


def _red_flags(state: PatientState) -> list[Finding]:
    findings = []
    recent = _recent(state, state.mornings, RED_FLAG_WINDOW_DAYS)
    late = [
        m for m in state.late_mornings if reported_late(today=state.today, on=m.date)
    ]  # safety never depends on where a red flag arrives from: late ones are raised too (F3)
    for morning in recent + late:
        is_late = morning in late
        for slug in morning.red_flags:
            flag = state.red_flags.get(slug)
            if flag is None:
                continue
            # An urgency the table does not know is treated as the most urgent (safer), and
            # stored as such so escalation and the pages read the same urgency.
            urgency = flag.urgency if flag.urgency in RED_FLAG_RESPONSE else "emergency"
            severity, label, suggestion = RED_FLAG_RESPONSE[urgency]
            reported = (
                f"reported late (on {state.today:%d %b}) for {morning.date:%d %b}"
                if is_late
                else f"reported on {morning.date:%d %b}"
            )
            late_evidence = {"reported_late": True, "reported_on": state.today.isoformat()}
            findings.append(
                Finding(
                    rule=f"red_flag:{slug}",
                    episode=morning.date.isoformat(),
                    kind="red_flag",
                    severity=severity,
                    message=f"Red flag ({label}) {reported}: {flag.meaning}",
                    evidence={
                        "date": morning.date.isoformat(),
                        "answer": slug,
                        "urgency": urgency,
                        **(late_evidence if is_late else {}),
                    },
                    sources=flag.sources,
                    suggestion=suggestion,
                )
            )
    return findings


def _limit(state: PatientState, name: str, fallback: str) -> tuple[float, tuple[str, ...]]:
    """One of the protocol's own pain limits (F16) with its sources, or the catalogue-wide
    threshold when the protocol has none."""
    if state.pain_limits is not None:
        return getattr(state.pain_limits, name), state.pain_limits.sources
    threshold = _threshold(state, fallback)
    return threshold.value, threshold.sources


def _pain_during(state: PatientState) -> Finding | None:
    limit, sources = _limit(state, "during_max", "pain_during_exercise_max")
    return _pain_above(state, "during", "Pain during exercise", limit, sources)


def _pain_after(state: PatientState) -> Finding | None:
    """F5: pain after the session above the limit is a step back, as during it (R5, R5b)."""
    limit, sources = _limit(state, "after_max", "pain_during_exercise_max")
    return _pain_above(state, "after", "Pain after the session", limit, sources)


def _pain_above(
    state: PatientState, when: str, what: str, limit: float, sources: tuple[str, ...]
) -> Finding | None:
    def pain(day: SessionDay) -> int | None:
        return day.max_pain_during if when == "during" else day.max_pain_after

    over = [
        (d.date, value)
        for d in _recent(state, state.days, WEEK)
        if (value := pain(d)) is not None and value > limit
    ]
    if not over:
        return None
    worst_day, worst = max(over, key=lambda pair: (pair[1], pair[0]))
    return Finding(
        rule=f"pain_{when}_above_max",
        episode=_week(worst_day),
        kind="step_back",
        severity=REVIEW,
        message=(
            f"{what} reached {worst}/10 on {worst_day:%d %b} (limit {limit:g}/10) on "
            f"{len(over)} day(s) this week."
        ),
        evidence={"limit": limit, "days": {day.isoformat(): value for day, value in over}},
        sources=sources,
        suggestion=state.regression,
    )


@dataclass(frozen=True, slots=True)
class _Pool:
    """The mornings a baseline is the mean of: those the state carries and, of a summarised
    state's rest-day mornings, their pain summed and their number (all before any carried)."""

    basis: str
    mornings: list[Morning]
    earlier_pain: int = 0
    earlier_count: int = 0
    earlier_first: date | None = None

    def __bool__(self) -> bool:
        return bool(self.mornings) or self.earlier_count > 0

    def mean_before(self, day: date) -> float | None:
        """The mean pain of the pool's mornings before `day` (a carried day), None if none."""
        before = [m.pain for m in self.mornings if m.date < day]
        if not before and not self.earlier_count:
            return None
        return mean(before, plus=self.earlier_pain, more=self.earlier_count)

    @property
    def first_date(self) -> date:
        if self.earlier_first is not None:
            return self.earlier_first
        return self.mornings[0].date


def _baseline_pool(state: PatientState) -> _Pool:
    """The mornings a patient's baseline is the mean of: those of the programme's first week
    or, when none of those were read (a long programme, or no check-ins in week one), the
    mornings after a rest day (no session done the day before), which loading did not
    provoke."""
    started, week_after = state.started_on, state.started_on + timedelta(WEEK)
    first_week = [m for m in state.mornings if started <= m.date < week_after]
    if first_week:
        return _Pool("first_week", first_week)
    done = {d.date for d in state.days if d.sessions_done}
    earlier = state.earlier
    # A summarised state carries the days from the day before `mornings_from` only.
    carried = earlier.mornings_from if earlier is not None else date.min
    rest = [
        m
        for m in state.mornings
        if m.date > state.started_on
        and m.date >= carried
        and m.date - timedelta(days=1) not in done
    ]
    if earlier is None:
        return _Pool("rest_days", rest)
    return _Pool("rest_days", rest, earlier.rest_pain, earlier.rest_mornings, earlier.rest_first)


def _morning_above_baseline(state: PatientState) -> Finding | None:
    """The 24-hour rule (F4): each morning of the last week against the baseline, the mean of
    the baseline mornings before it. A morning at least the NRS MCID above it is flagged
    (lighter next session); `next_morning_regress_after` such check-ins in a row say regress.
    Only the latest run is reported: an earlier one was reported when it happened."""
    margin, margin_sources = _limit(state, "next_morning_margin", "nrs_mcid_points")
    regress_after = _threshold(state, "next_morning_regress_after")
    pool = _baseline_pool(state)
    above: dict[date, float] = {}
    recent = _recent(state, state.mornings, WEEK)
    for morning in recent:
        level = pool.mean_before(morning.date)
        if level is not None and morning.pain - level >= margin:
            above[morning.date] = level
    if not above:
        return None
    run: list[Morning] = []
    for morning in reversed(recent):
        if morning.date in above:
            run.insert(0, morning)
        elif run:
            break
    baseline = round(above[run[0].date], 1)
    repeated = len(run) >= regress_after.value
    shown = " → ".join(f"{m.pain}/10 on {m.date:%d %b}" for m in run)
    where = "first-week mornings" if pool.basis == "first_week" else "mornings after a rest day"
    return Finding(
        rule="next_morning_above_baseline" + ("_repeated" if repeated else ""),
        episode=run[0].date.isoformat(),
        kind="step_back",
        severity=REVIEW,
        message=(
            f"Morning pain above the patient's baseline ({baseline:g}/10, mean of {where}) by "
            f"at least {margin:g} points: {shown}. Pain after loading should have settled "
            "by the next morning."
        ),
        evidence={
            "baseline": baseline,
            "baseline_from": pool.basis,
            "margin": margin,
            "mornings": {m.date.isoformat(): m.pain for m in run},
        },
        sources=tuple(dict.fromkeys(("R5", "R5b", "R5c", *margin_sources))),
        suggestion=(
            state.regression
            if repeated
            else "Reduce the load of the next session; regress if the next morning is up again."
        ),
    )


def _weekly_trend(state: PatientState) -> Finding | None:
    """F18: a week-on-week rise in mean morning pain of at least the tendinopathy MID, or in
    mean morning stiffness of at least the set minutes; the message names only what rose."""
    this_week = _recent(state, state.mornings, WEEK)
    opens, closes = state.today - timedelta(days=2 * WEEK - 1), state.today - timedelta(days=WEEK)
    last_week = [m for m in state.mornings if opens <= m.date <= closes]
    minimum = _threshold(state, "weekly_trend_min_check_ins")
    if min(len(this_week), len(last_week)) < minimum.value:
        return None
    pain_rise = _threshold(state, "weekly_trend_pain_rise_min")
    stiffness_rise = _threshold(state, "weekly_trend_stiffness_rise_min")
    pain_now, pain_before = mean(m.pain for m in this_week), mean(m.pain for m in last_week)
    stiff_now = mean(m.stiffness_minutes for m in this_week)
    stiff_before = mean(m.stiffness_minutes for m in last_week)
    rose: list[str] = []
    shown: list[str] = []
    sources = minimum.sources
    if pain_now - pain_before >= pain_rise.value:
        rose.append("pain")
        shown.append(f"pain {pain_before:.1f} → {pain_now:.1f}/10")
        sources += pain_rise.sources
    if stiff_now - stiff_before >= stiffness_rise.value:
        rose.append("stiffness")
        shown.append(f"stiffness {stiff_before:.0f} → {stiff_now:.0f} min")
        sources += stiffness_rise.sources
    if not rose:
        return None
    return Finding(
        rule="weekly_trend",
        episode=_week(state.today),
        kind="step_back",
        severity=REVIEW,
        message=f"Morning {' and '.join(rose)} rose on last week's average: {', '.join(shown)}.",
        evidence={
            "rose": rose,
            "pain_mean": [round(pain_before, 1), round(pain_now, 1)],
            "stiffness_mean": [round(stiff_before, 1), round(stiff_now, 1)],
            "pain_rise_min": pain_rise.value,
            "stiffness_rise_min": stiffness_rise.value,
        },
        sources=tuple(dict.fromkeys(sources)),
        suggestion=state.regression,
    )


def _not_adhering(state: PatientState, adherence: Adherence) -> Finding | None:
    limit = _threshold(state, "non_adherence_pct")
    if adherence.days < WEEK or adherence.percent is None or adherence.percent >= limit.value:
        return None
    return Finding(
        rule="not_adhering",
        episode=_week(state.today),
        kind="not_adhering",
        severity=REVIEW,
        message=(
            f"Not doing it: {adherence.done} of {adherence.prescribed} sessions in the last 7 days "
            f"({adherence.percent:.0f}%, below {limit.value:g}%)."
        ),
        evidence={
            "done": adherence.done,
            "prescribed": adherence.prescribed,
            "percent": round(adherence.percent, 1),
            "limit": limit.value,
        },
        sources=limit.sources,
        suggestion="Ask what gets in the way before changing the programme.",
    )


@dataclass(frozen=True, slots=True)
class ProgressionRule:
    """When "ready to progress" is offered for a programme: a full week (WEEK days) with at
    least `adherence` of its sessions done, every logged pain (during, after, mornings) at or
    below `pain_max`, and no step back or red flag. The therapist's programme page explains
    phases with this same rule."""

    pain_max: float
    pain_sources: tuple[str, ...]
    adherence: ThresholdSpec
    days: int = WEEK


def progression_rule(
    pain_limits: PainLimitsSpec | None, thresholds: Mapping[str, ThresholdSpec]
) -> ProgressionRule:
    """The protocol's own progression pain limit (F16), else thresholds.yaml's safe zone."""
    pain_max: float
    if pain_limits is not None:
        pain_max, pain_sources = pain_limits.progress_max, pain_limits.sources
    else:
        safe = thresholds["pain_safe_max"]
        pain_max, pain_sources = safe.value, safe.sources
    return ProgressionRule(
        pain_max=pain_max,
        pain_sources=pain_sources,
        adherence=thresholds["ready_to_progress_adherence_pct"],
    )


def _ready_to_progress(state: PatientState, adherence: Adherence) -> Finding | None:
    """A week of good adherence with every logged pain within the protocol's own progression
    limit (F16)."""
    rule = progression_rule(state.pain_limits, state.thresholds)
    limit, limit_sources = rule.pain_max, rule.pain_sources
    needed = rule.adherence
    if adherence.days < WEEK or adherence.percent is None or adherence.percent < needed.value:
        return None
    days = _recent(state, state.days, WEEK)
    mornings = _recent(state, state.mornings, WEEK)
    pains = [d.max_pain_during for d in days if d.max_pain_during is not None]
    pains += [d.max_pain_after for d in days if d.max_pain_after is not None]
    pains += [m.pain for m in mornings]
    if not pains or max(pains) > limit:
        return None
    return Finding(
        rule="ready_to_progress",
        episode=_week(state.today),
        kind="ready_to_progress",
        severity=INFO,
        message=(
            f"Ready to progress: pain at most {max(pains)}/10 (this programme's limit to "
            f"progress ≤ {limit:g}) with {adherence.percent:.0f}% of sessions done in the last "
            "7 days."
        ),
        evidence={
            "max_pain": max(pains),
            "limit": limit,
            "adherence_percent": round(adherence.percent, 1),
        },
        sources=tuple(dict.fromkeys(limit_sources + needed.sources)),
        suggestion="Accept to advance the programme to its next phase.",
    )


def _checkpoints(state: PatientState) -> list[Finding]:
    findings = []
    for planned in state.checkpoints:
        checkpoint = _from_onset(state, planned)
        if checkpoint.due_on > state.today:
            continue
        finding = _checkpoint(state, checkpoint)
        if finding is not None:
            findings.append(finding)
    return findings


# Evidence, the detail for the message, and optionally the sources of the thresholds used.
def _from_onset(state: PatientState, checkpoint: DueCheckpoint) -> DueCheckpoint:
    """F20: symptom duration counts from the onset when the diagnosis knows it (the planned
    date counts from the programme start), but never before home care has had a fair trial
    (thresholds.yaml symptoms_review_min_programme_days)."""
    tf = checkpoint.timeframe
    if tf.metric != "symptoms_persist" or state.onset_on is None:
        return checkpoint
    from_onset = state.onset_on + timedelta(days=tf.after_days)
    trial = _threshold(state, "symptoms_review_min_programme_days")
    earliest = state.started_on + timedelta(days=int(trial.value))
    return DueCheckpoint(tf, max(earliest, min(checkpoint.due_on, from_onset)))


Judgement = tuple[dict[str, object], str] | tuple[dict[str, object], str, tuple[str, ...]]


def _checkpoint(state: PatientState, checkpoint: DueCheckpoint) -> Finding | None:
    tf = checkpoint.timeframe
    if tf.metric == "visa_a_change":
        judged = _visa_a_not_improved(state, checkpoint)
    elif tf.metric in {"pain_not_improved", "pain_severe_or_not_improved"}:
        judged = _pain_not_improved(state, checkpoint)
    elif tf.metric == "stretching_no_relief":
        # F19: a verdict on self-managed stretching only; loading needs months [R7].
        judged = None if state.loading else _pain_not_improved(state, checkpoint)
    elif tf.metric == "symptoms_persist":
        judged = _symptoms_persist(state, checkpoint)
    else:
        return None  # next-morning and weekly metrics are judged continuously above
    if judged is None:
        return None
    evidence, detail, *more_sources = judged
    return Finding(
        rule=f"checkpoint:{tf.slug}",
        episode=checkpoint.due_on.isoformat(),
        kind="not_improving",
        severity=REVIEW,
        message=f"Day {tf.after_days} review — {tf.rule} Now: {detail}.",
        evidence={"timeframe": tf.slug, "after_days": tf.after_days, **evidence},
        sources=tuple(dict.fromkeys(tf.sources + tuple(s for ss in more_sources for s in ss))),
        suggestion=tf.action,
    )


def _visa_a_baseline(state: PatientState) -> tuple[str, ScoreOn] | None:
    """The first VISA-A of the programme's first week or, failing that, the first on record
    (F17)."""
    first_week = [s for s in state.visa_a if s.date <= state.started_on + timedelta(days=WEEK)]
    if first_week:
        return "first_week", first_week[0]
    if state.visa_a:
        return "first_score", state.visa_a[0]
    return None


def _visa_a_not_improved(state: PatientState, checkpoint: DueCheckpoint) -> Judgement | None:
    """VISA-A change since the baseline below the threshold, despite adequate adherence."""
    tf = checkpoint.timeframe
    found = _visa_a_baseline(state)
    latest = next(
        (s for s in reversed(state.visa_a) if s.date >= checkpoint.due_on - timedelta(days=WEEK)),
        None,
    )
    if found is None or latest is None or tf.threshold is None:
        return None
    basis, baseline = found
    if baseline is latest:
        return None
    change = latest.value - baseline.value
    if change >= tf.threshold:
        return None
    overall = adherence_over(state, (state.today - state.started_on).days + 1)
    enough = _threshold(state, "non_adherence_pct").value
    if overall.percent is None or overall.percent < enough:
        return None  # not doing it: the adherence rule speaks, not this one
    evidence: dict[str, object] = {
        "visa_a": [baseline.value, latest.value],
        "dates": [baseline.date.isoformat(), latest.date.isoformat()],
        "baseline_from": basis,
        "change": change,
        "threshold": tf.threshold,
        "adherence_percent": round(overall.percent, 1),
    }
    since = "" if basis == "first_week" else " (baseline: the first score, after week one)"
    detail = (
        f"VISA-A {baseline.value:g} → {latest.value:g}{since} (change {change:+g}, below "
        f"{tf.threshold:g}) with {overall.percent:.0f}% adherence"
    )
    return evidence, detail


def _visa_a_no_baseline(state: PatientState) -> Finding | None:
    """F17: a programme with a VISA-A review and no VISA-A at all by the due day."""
    if not any(c.timeframe.metric == "visa_a_change" for c in state.checkpoints):
        return None
    due = _threshold(state, "visa_a_baseline_due_days")
    if state.visa_a or (state.today - state.started_on).days < due.value:
        return None
    return Finding(
        rule="visa_a_no_baseline",
        episode=state.started_on.isoformat(),
        kind="not_improving",
        severity=INFO,
        message=(
            f"No VISA-A baseline: no VISA-A recorded {due.value:g} days into the programme. The "
            "12- and 24-week reviews measure change from the first score."
        ),
        evidence={"started_on": state.started_on.isoformat(), "due_days": due.value},
        sources=due.sources,
        suggestion="Ask the patient to complete the VISA-A questionnaire now.",
    )


def _pain_not_improved(state: PatientState, checkpoint: DueCheckpoint) -> Judgement | None:
    """F12: morning pain still above 0 that has not fallen by the NRS MCID (points or percent,
    R18) since home care started; for `pain_severe_or_not_improved`, also any morning at or
    above the severe level. Pain that has gone (0/10 now) is never flagged."""
    mornings = [m for m in state.mornings if m.date >= state.started_on]
    if not mornings:
        return None
    first, last = mornings[0], mornings[-1]
    if last.date < checkpoint.due_on - timedelta(days=1):
        return None  # no recent check-in to judge by
    if last.pain == 0:
        return None
    evidence: dict[str, object] = {
        "morning_pain": [first.pain, last.pain],
        "dates": [first.date.isoformat(), last.date.isoformat()],
    }
    detail = (
        f"morning pain {first.pain}/10 on {first.date:%d %b} → {last.pain}/10 on {last.date:%d %b}"
    )
    if checkpoint.timeframe.metric == "pain_severe_or_not_improved":
        severe = _threshold(state, "pain_severe_min")
        worst = max(mornings, key=lambda m: (m.pain, m.date))
        if worst.pain >= severe.value:
            evidence["severe"] = {"date": worst.date.isoformat(), "pain": worst.pain}
            evidence["severe_min"] = severe.value
            return (
                evidence,
                f"{detail}; severe ({worst.pain}/10 on {worst.date:%d %b})",
                (severe.sources),
            )
    if first.date == last.date:
        return None  # one check-in is no change either way
    points = _threshold(state, "nrs_mcid_points")
    percent = _threshold(state, "nrs_mcid_percent")
    fall = first.pain - last.pain
    fall_percent = 100 * fall / first.pain if first.pain else 0.0
    if fall >= points.value or fall_percent >= percent.value:
        return None
    evidence["fall"] = fall
    evidence["fall_percent"] = round(fall_percent, 1)
    detail += (
        f" (a fall of {fall} point(s), {fall_percent:.0f}%: less than {points.value:g} points "
        f"or {percent.value:g}%)"
    )
    return evidence, detail, tuple(dict.fromkeys(points.sources + percent.sources))


def _symptoms_persist(state: PatientState, checkpoint: DueCheckpoint) -> Judgement | None:
    """F20: symptoms still present a few months after onset (or the start) and not improving
    or worsening: the last week's mean morning pain has not fallen below the baseline mornings'
    by the NRS MCID (points or percent, R18). Symptoms gone on the last morning: no flag."""
    mornings = [m for m in state.mornings if m.date >= state.started_on]
    if not mornings:
        return None
    last = mornings[-1]
    if last.date < checkpoint.due_on - timedelta(days=1):
        return None  # no recent check-in to judge by
    if last.pain == 0 and last.stiffness_minutes == 0:
        return None
    pool = _baseline_pool(state)
    recent = [m for m in _recent(state, mornings, WEEK) if m not in pool.mornings]
    if not pool or not recent:
        return None  # no baseline and later week apart yet: nothing to compare
    before = mean((m.pain for m in pool.mornings), plus=pool.earlier_pain, more=pool.earlier_count)
    now = mean(m.pain for m in recent)
    points = _threshold(state, "nrs_mcid_points")
    percent = _threshold(state, "nrs_mcid_percent")
    fall = before - now
    fall_percent = 100 * fall / before if before else 0.0
    if now == 0 or fall >= points.value or fall_percent >= percent.value:
        return None
    planned = state.started_on + timedelta(days=checkpoint.timeframe.after_days)
    from_onset = state.onset_on is not None and checkpoint.due_on < planned
    counted_from = "onset" if from_onset else "start"
    origin = state.onset_on if from_onset and state.onset_on else state.started_on
    evidence: dict[str, object] = {
        "counted_from": counted_from,
        "onset_on": state.onset_on.isoformat() if state.onset_on else None,
        "morning_pain_mean": [round(before, 1), round(now, 1)],
        "dates": [pool.first_date.isoformat(), last.date.isoformat()],
    }
    trend = "worse" if now > before else "not improving"
    detail = (
        f"{trend}: mean morning pain {before:.1f}/10 at first → {now:.1f}/10 this week, "
        f"{(state.today - origin).days} days since the {counted_from}"
    )
    return evidence, detail, tuple(dict.fromkeys(points.sources + percent.sources))
