"""The one monitoring pipeline: a list of programmes evaluated in a fixed number of queries.

Every evaluation goes through here. The hourly sweep walks every active programme in chunks
(500 by default); `monitoring.services.evaluate_patient` (a fresh red-flag check-in, the
red-flag sweep) and `manage.py monitor --patient` are a chunk of one. For a chunk it reads
what the rules need in a fixed number of queries, whatever the chunk size, builds each
patient's `PatientState` (`states_for`), runs the pure `evaluate`, and stores the findings:

- one flag per (patient, rule, episode); a finding with no stored flag creates one;
- a stored flag that is still open and whose evidence changed is updated with the new values;
- an acknowledged or resolved flag is left alone;
- a new urgent flag is handed to `notify_flag_task` (its id only) after the chunk commits.

The pain during exercise, the costly figure to read, is read for the last week only: the only
window the rules read it in. The rules read the last two weeks day by day and of the history
before only a summary (`rules.Earlier`: sessions done, the rest-day mornings summed, the first
week's and the first, last and worst mornings): the sweep folds the earlier rows into it as it
reads them, exactly as `rules.summarise` does, so ~770,000 day and morning objects at 10,000
patients become ~300,000. Rows are read straight from the cursor in programme (patient) and
date order with the ids cast to text (`_rows`): no per-value converters, no sorting.

Each chunk is one transaction, so a sweep stopped half way keeps the chunks it finished and
the next run carries on (it is idempotent). Memory stays flat: chunks are read by keyset on
the programme id, and nothing is kept from one chunk to the next.
"""

from __future__ import annotations

import json
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from patients.models import CheckIn, ExerciseLog, Flag, QuestionnaireResponse, SessionLog
from patients.monitoring.rules import (
    DETAIL_DAYS,
    WEEK,
    DueCheckpoint,
    Earlier,
    Finding,
    Morning,
    PatientState,
    ScoreOn,
    SessionDay,
)
from patients.monitoring.rules import evaluate as evaluate_state
from patients.monitoring.selectors import regression_suggestion
from patients.schedule import sessions_per_week
from programmes.knowledge import Catalogue, PainLimitsSpec
from programmes.models import (
    Checkpoint,
    Exercise,
    Programme,
    ProgrammeItem,
    ProgrammeRevision,
)
from programmes.planner import LOADING_CATEGORIES
from programmes.selectors import catalogue_snapshot

CHUNK_SIZE = 500
# How far back the pain during exercise is read: the rules that use it look back one week.
PAIN_DURING_DAYS = WEEK

# The fields a finding sets on its flag (created, or updated while open).
FLAG_VALUE_FIELDS = (
    "programme",
    "kind",
    "severity",
    "message",
    "evidence",
    "suggestion",
    "sources",
)

# How far back monitoring reads: the longest documented timeframe (symptoms beyond a few
# months, 90 days) plus a week of baseline.
HISTORY_DAYS = 120
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one sweep (or one chunk) did: programmes evaluated, findings, flags written."""

    programmes: int = 0
    findings: int = 0
    created: int = 0
    updated: int = 0

    def __add__(self, other: SweepReport) -> SweepReport:
        return SweepReport(
            self.programmes + other.programmes,
            self.findings + other.findings,
            self.created + other.created,
            self.updated + other.updated,
        )


def evaluate_active_programmes(*, now: datetime, chunk_size: int = CHUNK_SIZE) -> SweepReport:
    """Evaluate every active programme, `chunk_size` at a time, in this process; idempotent.
    (The hourly task hands each chunk to a worker instead: `chunk_bounds`, `evaluate_range`.)"""
    report = SweepReport()
    for first, last in chunk_bounds(chunk_size=chunk_size):
        report += evaluate_range(first=first, last=last, now=now)
    return report


def chunk_bounds(*, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
    """The first and last programme id of each chunk of `chunk_size` active programmes, read
    by keyset on the id (ids only: one light query per chunk, memory flat)."""
    after: uuid.UUID | None = None
    while True:
        rows = Programme.objects.filter(status=Programme.Status.ACTIVE).order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        ids = list(rows.values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        yield ids[0], ids[-1]
        after = ids[-1]


def evaluate_range(*, first: uuid.UUID, last: uuid.UUID, now: datetime) -> SweepReport:
    """Evaluate the active programmes whose ids lie from `first` to `last`: one chunk, as a
    worker runs it. A programme started since the chunk was cut is simply included."""
    ids = list(
        Programme.objects.filter(status=Programme.Status.ACTIVE, pk__gte=first, pk__lte=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return evaluate_programmes(programme_ids=ids, now=now)


@dataclass(frozen=True, slots=True)
class _Programme:
    """The few columns of a programme (and its patient) the monitoring state needs."""

    id: uuid.UUID
    patient_id: uuid.UUID
    key: str  # the programme's id as text, as `_rows` returns it
    patient_key: str  # the patient's id as text
    time_zone: str
    started_on: date
    revision_id: uuid.UUID
    current_phase: int
    protocol: str
    onset: object  # the diagnosis intake's onset_date: an ISO date string, or None


@dataclass(frozen=True, slots=True)
class Chunk:
    """What evaluating one chunk did, and the flag of each finding, per programme (in the
    order of the findings; a finding whose flag was left alone gives the stored flag)."""

    report: SweepReport
    flags: Mapping[uuid.UUID, list[Flag]]


def evaluate_programmes(*, programme_ids: Iterable[uuid.UUID], now: datetime) -> SweepReport:
    """Evaluate one chunk of programmes (those still active) in a fixed number of queries."""
    return evaluate_chunk(programme_ids=programme_ids, now=now).report


@transaction.atomic
def evaluate_chunk(*, programme_ids: Iterable[uuid.UUID], now: datetime) -> Chunk:
    """Evaluate one chunk of programmes (those still active) in a fixed number of queries:
    programmes, exercises, current-phase items, session days, check-ins, VISA-A scores,
    checkpoints, unresolved red-flag flags, stored flags, then the inserts and updates of
    flags."""
    read = _read(programme_ids, now)
    if not read:
        return Chunk(SweepReport(), {})
    findings = [(p, finding) for p, state in read for finding in evaluate_state(state)]
    created, updated, flags = _store(findings)
    report = SweepReport(
        programmes=len(read), findings=len(findings), created=created, updated=updated
    )
    return Chunk(report, flags)


def states_for(
    *, programme_ids: Iterable[uuid.UUID], now: datetime
) -> dict[uuid.UUID, PatientState]:
    """The monitoring state of each active programme, as the rules will read it."""
    return {p.id: state for p, state in _read(programme_ids, now)}


def _read(
    programme_ids: Iterable[uuid.UUID], now: datetime
) -> list[tuple[_Programme, PatientState]]:
    programmes = [
        _Programme(*row)
        for row in Programme.objects.filter(
            _AnyOf("pk", programme_ids),
            status=Programme.Status.ACTIVE,
            # A programme is given its revision in the transaction that creates it; one
            # without is not readable by the rules.
            current_revision__isnull=False,
        )
        .order_by("pk")
        .annotate(
            key=Cast("pk", output_field=CharField()),
            patient_key=Cast("patient_id", output_field=CharField()),
        )
        .values_list(
            "pk",
            "patient_id",
            "key",
            "patient_key",
            "patient__time_zone",
            "started_on",
            "current_revision_id",
            "current_revision__current_phase",
            "protocol__slug",
            "diagnosis__intake__onset_date",
        )
    ]
    if not programmes:
        return []
    if connection.vendor == "postgresql":
        # PostgreSQL's JIT compiles the chunk's aggregate (its cost estimate is high) in
        # 0.5–1 s, longer than the query then runs; this transaction does without it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    catalogue = catalogue_snapshot()
    today = {p.id: now.astimezone(zoneinfo.ZoneInfo(p.time_zone)).date() for p in programmes}
    since = {
        p.id: max(p.started_on - timedelta(days=WEEK), today[p.id] - timedelta(days=HISTORY_DAYS))
        for p in programmes
    }
    programme_of_patient = {p.patient_id: p.id for p in programmes}

    per_week, regression, loading = _prescriptions(programmes)
    # The rules read the last DETAIL_DAYS day by day and what came before in summary.
    cut = {p.id: today[p.id] - timedelta(days=DETAIL_DAYS - 1) for p in programmes}
    days = _session_days(programmes, since, today, cut)
    # VISA-A is read from the week before the start, however long ago: the 12- and 24-week
    # reviews compare with the first score (one row a week at most).
    visa_since = {p.id: p.started_on - timedelta(days=WEEK) for p in programmes}
    mornings, visa_a = _patient_reports(programmes, since, visa_since, cut, days)
    checkpoints = _checkpoints(programmes, catalogue)
    red_flagged = set(
        Flag.objects.filter(_AnyOf("patient_id", programme_of_patient), kind=Flag.Kind.RED_FLAG)
        .exclude(status=Flag.Status.RESOLVED)
        .values_list("patient_id", flat=True)
        .distinct()
    )

    return [
        (
            p,
            PatientState(
                today=today[p.id],
                started_on=p.started_on,
                sessions_per_week=per_week[p.id],
                days=days[p.id].days,
                mornings=mornings[p.id][0],
                visa_a=visa_a.get(p.id, ()),
                checkpoints=checkpoints.get(p.id, ()),
                thresholds=catalogue.thresholds,
                red_flags=catalogue.red_flags,
                regression=regression[p.id],
                pain_limits=_pain_limits(catalogue, p.protocol),
                unresolved_red_flag=p.patient_id in red_flagged,
                onset_on=_onset(p.onset),
                loading=loading[p.id],
                earlier=replace(mornings[p.id][1], sessions_done=days[p.id].done_earlier),
            ),
        )
        for p in programmes
    ]


def _pain_limits(catalogue: Catalogue, protocol: str) -> PainLimitsSpec | None:
    spec = catalogue.protocols.get(protocol)
    return spec.pain_limits if spec is not None else None


def _onset(value: object) -> date | None:
    """The stored intake's onset date (validated when it was recorded); None if absent."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _prescriptions(
    programmes: list[_Programme],
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, str], dict[uuid.UUID, bool]]:
    """Sessions per week, the regression suggestion and whether the current phase loads the
    tendon (F19), for each programme's current phase."""
    exercises = {e.pk: e for e in Exercise.objects.select_related("regression")}
    phase_of = {p.revision_id: p for p in programmes}
    items: dict[uuid.UUID, list[tuple[int, int | None, int | None]]] = defaultdict(list)
    for revision_id, exercise_id, times_per_day, days_per_week in (
        ProgrammeItem.objects.filter(
            _AnyOf("phase__revision_id", phase_of),
            phase__position=F("phase__revision__current_phase"),
        )
        .order_by("phase_id", "position")
        .values_list("phase__revision_id", "exercise_id", "times_per_day", "days_per_week")
    ):
        items[phase_of[revision_id].id].append((exercise_id, times_per_day, days_per_week))

    # Many programmes share a prescription: compute each distinct one once.
    memo: dict[
        tuple[int, tuple[tuple[int, int | None, int | None], ...]], tuple[int, str, bool]
    ] = {}
    per_week: dict[uuid.UUID, int] = {}
    regression: dict[uuid.UUID, str] = {}
    loading: dict[uuid.UUID, bool] = {}
    for p in programmes:
        key = (p.current_phase, tuple(items.get(p.id, ())))
        if key not in memo:
            rows = [
                ProgrammeItem(exercise=exercises[e], times_per_day=t, days_per_week=d)
                for e, t, d in key[1]
            ]
            memo[key] = (
                sessions_per_week(rows),
                _regression(p.current_phase, rows),
                any(row.exercise.category in LOADING_CATEGORIES for row in rows),
            )
        per_week[p.id], regression[p.id], loading[p.id] = memo[key]
    return per_week, regression, loading


def _regression(current_phase: int, items: list[ProgrammeItem]) -> str:
    programme = Programme(current_revision=ProgrammeRevision(current_phase=current_phase))
    return regression_suggestion(programme, items)


class _AnyOf(Func):
    """`column IN ids` with the ids bound as ONE parameter: PostgreSQL `= ANY(uuid[])` (the
    same index scans as an IN list), SQLite `IN (SELECT value FROM json_each(…))`. A chunk's
    500-id IN list cost more to build (Django prepares each value) and to send (psycopg
    parses every placeholder of a long statement at each run) than the database took to
    answer: one array parameter keeps the statement short and the same at every chunk."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: Iterable[uuid.UUID]) -> None:
        super().__init__(F(column))
        self.ids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            array = "{" + ",".join(str(i) for i in self.ids) + "}"
            return f"{column} = ANY(%s::uuid[])", [*params, array]
        # Django stores a UUID on SQLite as its 32 hex digits.
        return f"{column} IN (SELECT value FROM json_each(%s))", [
            *params,
            json.dumps([i.hex for i in self.ids]),
        ]


def _rows(query: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query as the driver returns them, without Django's
    per-value converters and iteration (over a million calls a sweep at 10,000 patients).
    Only for columns the drivers already return as Python values: integers, plain date
    columns (sqlite3 parses a column declared `date`), and ids cast to text (`key`)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(slots=True)
class _Days:
    """A programme's session days as the state carries them (from the day before the cut),
    the sessions done from the start until then, and the earlier dates with a session done
    (whether a summarised morning followed a rest day)."""

    days: tuple[SessionDay, ...] = ()
    done_earlier: int = 0
    done_dates: set[date] = field(default_factory=set)


def _session_days(
    programmes: list[_Programme],
    since: Mapping[uuid.UUID, date],
    today: Mapping[uuid.UUID, date],
    cut: Mapping[uuid.UUID, date],
) -> dict[uuid.UUID, _Days]:
    """Per programme and local date: sessions done and the highest pain after, and for the
    last PAIN_DURING_DAYS the highest pain during exercise (older days carry None); the days
    before the day before `cut` are only counted (`_Days`).

    The pain during exercise is the one figure that needs the exercise entries, looked up per
    session through their index; the rules that read it (pain above the limit, ready to
    progress) look back one week, so older sessions are not looked up. Everything else is
    aggregated by the database. (A join with the entries instead would make the database read
    every entry in the table for each chunk.) The rows come in programme and date order, so
    each programme's days are a run of rows, already sorted."""
    earliest = min(since.values())
    recent = min(today.values()) - timedelta(days=PAIN_DURING_DAYS - 1)
    pain_during = (
        ExerciseLog.objects.filter(session_id=OuterRef("pk"))
        .order_by()
        .values("session_id")
        .annotate(highest=Max("pain_during_nrs"))
        .values("highest")
    )
    of_key = {p.key: p for p in programmes}
    found = {p.id: _Days() for p in programmes}
    query = (
        SessionLog.objects.filter(
            _AnyOf("programme_id", [p.id for p in programmes]), local_date__gte=earliest
        )
        .values("programme_id", "local_date")
        .annotate(
            key=Cast("programme_id", output_field=CharField()),
            done=Count("pk", filter=Q(status=SessionLog.Status.DONE)),
            pain_during=Max(
                Case(
                    When(
                        local_date__gte=recent,
                        then=Subquery(pain_during, output_field=IntegerField()),
                    ),
                    default=None,
                    output_field=IntegerField(),
                )
            ),
            pain_after=Max("pain_after_nrs"),
        )
        .order_by("programme_id", "local_date")
        .values_list("key", "local_date", "done", "pain_during", "pain_after")
    )
    current = None
    start = started = carried = date.min
    days: list[SessionDay] = []
    counted = _Days()
    for key, day, done, during, after in _rows(query):
        if key != current:
            if current is not None:
                counted.days = tuple(days)
            current = key
            programme = of_key[key]
            start, started = since[programme.id], programme.started_on
            carried = max(start, cut[programme.id] - timedelta(days=1))
            counted, days = found[programme.id], []
        if day >= carried:
            days.append(SessionDay(day, done, during, after))
        elif day >= start and done:
            counted.done_dates.add(day)
            if day >= started:
                counted.done_earlier += done
    if current is not None:
        counted.days = tuple(days)
    return found


def _patient_reports(
    programmes: list[_Programme],
    since: Mapping[uuid.UUID, date],
    visa_since: Mapping[uuid.UUID, date],
    cut: Mapping[uuid.UUID, date],
    days: Mapping[uuid.UUID, _Days],
) -> tuple[
    dict[uuid.UUID, tuple[tuple[Morning, ...], Earlier]], dict[uuid.UUID, tuple[ScoreOn, ...]]
]:
    """Morning check-ins since each programme's window opened, those before `cut` summarised
    as `rules.summarise` does (`Earlier`), and VISA-A scores since the week before it
    started."""
    patients = [p.patient_id for p in programmes]
    of_key = {p.patient_key: p for p in programmes}
    earliest = min(since.values())
    check_ins = CheckIn.objects.filter(
        _AnyOf("patient_id", patients), local_date__gte=earliest
    ).annotate(key=Cast("patient_id", output_field=CharField()))
    mornings: dict[uuid.UUID, tuple[tuple[Morning, ...], Earlier]] = {
        p.id: ((), Earlier(cut[p.id])) for p in programmes
    }
    # One check-in a day: in patient and date order, each patient's mornings are a sorted run.
    runs = groupby(
        _rows(
            check_ins.order_by("patient_id", "local_date").values_list(
                "key", "local_date", "morning_pain_nrs", "stiffness_minutes", "red_flags"
            )
        ),
        key=itemgetter(0),
    )
    for key, rows in runs:
        p = of_key[key]
        mornings[p.id] = _mornings(
            rows, since[p.id], p.started_on, cut[p.id], days[p.id].done_dates
        )
    scores: dict[uuid.UUID, list[ScoreOn]] = {p.id: [] for p in programmes}
    for key, day, value in (
        QuestionnaireResponse.objects.filter(
            _AnyOf("patient_id", patients),
            questionnaire="visa_a",
            local_date__gte=min(visa_since.values()),
        )
        .annotate(key=Cast("patient_id", output_field=CharField()))
        .order_by("patient_id", "local_date", "created_at")
        .values_list("key", "local_date", "score")
    ):
        p = of_key[key]
        if day >= visa_since[p.id] and value is not None:  # only the FAAM has no total
            scores[p.id].append(ScoreOn(day, value))
    return mornings, {key: tuple(value) for key, value in scores.items()}


def _mornings(
    rows: Iterable[tuple[str, date, int, int, str]],
    start: date,
    started: date,
    cut: date,
    done_dates: set[date],
) -> tuple[tuple[Morning, ...], Earlier]:
    """One patient's mornings (in date order) as `rules.summarise` leaves them: from `cut` on
    each one; before it the first week's and the first, last and worst since the start, and
    the rest-day mornings summed (`Earlier`). The red-flag answers come as the stored JSON
    text, decoded only when not an empty list (rare)."""
    first_week_ends = started + timedelta(days=WEEK)
    carried_from = max(cut, start)
    carried: list[Morning] = []
    notable: list[tuple[date, int, int, str]] = []
    first = last = worst = None
    rest_pain = rest_count = 0
    rest_first = None
    for _, day, pain, stiffness, answers in rows:
        if day >= carried_from:
            carried.append(Morning(day, pain, stiffness, _answers(answers)))
        elif day >= start and day >= started:
            row = (day, pain, stiffness, answers)
            if first is None:
                first = row
            last = row
            if worst is None or pain >= worst[1]:  # the latest of the highest
                worst = row
            if day < first_week_ends:
                notable.append(row)
            if day > started and day - ONE_DAY not in done_dates:
                rest_pain += pain
                rest_count += 1
                if rest_first is None:
                    rest_first = day
    if first is not None and last is not None and worst is not None:  # all three, or none
        notable += (first, last, worst)
    earlier = [
        Morning(day, pain, stiffness, _answers(answers))
        for day, pain, stiffness, answers in sorted(set(notable))
    ]
    return tuple(earlier + carried), Earlier(
        cut,
        rest_pain=rest_pain,
        rest_mornings=rest_count,
        rest_first=rest_first,
    )


def _answers(stored: str) -> tuple[str, ...]:
    """A check-in's red-flag answers from the stored JSON text (nearly always "[]")."""
    return () if stored == "[]" else tuple(json.loads(stored))


def _checkpoints(
    programmes: list[_Programme], catalogue: Catalogue
) -> dict[uuid.UUID, tuple[DueCheckpoint, ...]]:
    """Each programme's dated checkpoints in order (the same timeframe and date are shared by
    many programmes: one DueCheckpoint each)."""
    of_key = {p.key: p.id for p in programmes}
    shared: dict[tuple[str, date], DueCheckpoint] = {}
    due: dict[uuid.UUID, tuple[DueCheckpoint, ...]] = {}
    rows = _rows(
        Checkpoint.objects.filter(_AnyOf("programme_id", [p.id for p in programmes]))
        .annotate(key=Cast("programme_id", output_field=CharField()))
        .order_by("programme_id", "after_days")
        .values_list("key", "timeframe__slug", "due_on")
    )
    for key, run in groupby(rows, key=itemgetter(0)):
        found = []
        for _, slug, due_on in run:
            checkpoint = shared.get((slug, due_on))
            if checkpoint is None:
                checkpoint = shared[slug, due_on] = DueCheckpoint(
                    catalogue.timeframes[slug], due_on
                )
            found.append(checkpoint)
        due[of_key[key]] = tuple(found)
    return due


FlagKey = tuple[uuid.UUID, str, str]


def _store(
    findings: list[tuple[_Programme, Finding]],
) -> tuple[int, int, dict[uuid.UUID, list[Flag]]]:
    """Create, update or leave each finding's flag in a fixed number of statements; returns
    (created, updated, the flag of each finding per programme)."""
    if not findings:
        return 0, 0, {}
    keys = {(p.patient_id, f.rule, f.episode) for p, f in findings}
    current: dict[FlagKey, Flag] = {
        (flag.patient_id, flag.rule, flag.episode): flag
        for flag in Flag.objects.filter(
            _AnyOf("patient_id", {k[0] for k in keys}), episode__in={k[2] for k in keys}
        )
        if (flag.patient_id, flag.rule, flag.episode) in keys
    }
    new: dict[FlagKey, Flag] = {}
    changed: dict[FlagKey, Flag] = {}
    # In order: a later finding for the same key updates the flag an earlier one created.
    for p, finding in findings:
        key = (p.patient_id, finding.rule, finding.episode)
        values = _values(p, finding)
        flag = current.get(key)
        if flag is None:
            flag = Flag(patient_id=p.patient_id, rule=finding.rule, episode=finding.episode)
            _set(flag, values)
            current[key] = new[key] = flag
        elif flag.status == Flag.Status.OPEN and flag.evidence != values["evidence"]:
            _set(flag, values)
            if key not in new:
                changed[key] = flag
    # A flag another process created since we read (an evaluate_patient_task for a fresh
    # check-in) wins: ignore_conflicts skips ours, and only the rows really inserted count
    # (the audited bulk_create returns just those, and writes an audit entry for each).
    inserted = {flag.pk for flag in Flag.objects.bulk_create(new.values(), ignore_conflicts=True)}
    if len(inserted) < len(new):
        # Rare (a race): read the flags that won, so callers get the stored rows.
        lost = [key for key, flag in new.items() if flag.pk not in inserted]
        for flag in Flag.objects.filter(
            patient_id__in={k[0] for k in lost}, episode__in={k[2] for k in lost}
        ):
            key = (flag.patient_id, flag.rule, flag.episode)
            if key in lost:
                current[key] = flag
    if changed:
        stamp = timezone.now()  # what auto_now would write; bulk_update does not apply it
        for flag in changed.values():
            flag.updated_at = stamp
        Flag.objects.bulk_update(changed.values(), [*FLAG_VALUE_FIELDS, "updated_at"])
    for flag in new.values():
        if flag.pk in inserted and flag.severity == Flag.Severity.URGENT:
            flag_id = str(flag.pk)
            transaction.on_commit(lambda f=flag_id: _notify(f), robust=True)  # type: ignore[misc]
    flags: dict[uuid.UUID, list[Flag]] = defaultdict(list)
    for p, finding in findings:
        flags[p.id].append(current[(p.patient_id, finding.rule, finding.episode)])
    return len(inserted), len(changed), dict(flags)


def _values(p: _Programme, finding: Finding) -> dict[str, Any]:
    return {
        "programme_id": p.id,
        "kind": finding.kind,
        "severity": finding.severity,
        "message": finding.message,
        "evidence": dict(finding.evidence),
        "suggestion": finding.suggestion,
        "sources": list(finding.sources),
    }


def _set(flag: Flag, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(flag, name, value)


def _notify(flag_id: str) -> None:
    # By the task's wire name, as the beat schedule does: the task module calls this one.
    current_app.signature("patients.tasks.notify_flag_task").delay(flag_id)
