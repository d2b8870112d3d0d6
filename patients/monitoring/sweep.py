"""The one monitoring pipeline: a list of programmes evaluated in a fixed number of queries.

Every evaluation goes through here. The hourly sweep walks every active programme in chunks
(1,000 by default); `monitoring.services.evaluate_patient` (a fresh red-flag check-in, the
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
week's and the first, last and worst mornings): the database computes it, exactly as
`rules.summarise` does (`_SESSION_DAYS_SQL`, `_MORNINGS_SQL`, the same statements on
PostgreSQL and SQLite but for a date step), so ~170,000 day and morning rows a sweep cross to
Python at 10,000 patients instead of ~770,000. Each programme's dates (its own "today")
reach those statements as one JSON parameter (`_CHUNK_TABLE`), the chunk's ids elsewhere as
one array (`_AnyOf`).

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
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    F,
    Func,
    QuerySet,
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
    Programme,
    ProgrammeItem,
    ProgrammeRevision,
)
from programmes.planner import LOADING_CATEGORIES
from programmes.selectors import catalogue_memo, catalogue_snapshot, exercises_with_regressions

# 1,000: on two workers at 10,000 patients, 2.4 s a sweep against 2.6-2.7 s with 500, for
# ~5 MiB more a worker (bench/README.md); REHAB_SWEEP_CHUNK_SIZE sets the hourly task's.
CHUNK_SIZE = 1000
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
    return evaluate_chunk(programme_ids=programme_ids, now=now, with_flags=False).report


@transaction.atomic
def evaluate_chunk(
    *,
    programme_ids: Iterable[uuid.UUID],
    now: datetime,
    late_mornings: Mapping[uuid.UUID, tuple[Morning, ...]] | None = None,
    with_flags: bool = True,
) -> Chunk:
    """Evaluate one chunk of programmes (those still active) in a fixed number of queries:
    programmes, exercises, current-phase items, session days, check-ins, VISA-A scores,
    checkpoints, unresolved red-flag flags, stored flags, then the inserts and updates of
    flags. `with_flags=False` leaves `Chunk.flags` empty (the sweep does not read them)."""
    with _planned_for_a_chunk():
        read = _read(programme_ids, now)
        if not read:
            return Chunk(SweepReport(), {})
        if late_mornings:  # a check-in arrived after the red-flag window (rules.reported_late)
            read = [(p, replace(s, late_mornings=late_mornings.get(p.id, ()))) for p, s in read]
        findings = [(p, finding) for p, state in read for finding in evaluate_state(state)]
        created, updated, flags = _store(findings, with_flags=with_flags)
    report = SweepReport(
        programmes=len(read), findings=len(findings), created=created, updated=updated
    )
    return Chunk(report, flags)


@contextmanager
def _planned_for_a_chunk() -> Iterator[None]:
    """PostgreSQL planner settings for one chunk's statements, put back as they were after.

    Without JIT: PostgreSQL compiles the chunk's aggregate (its cost estimate is high) in
    0.5–1 s, longer than the query then runs. Without sequential scans where an index serves:
    every read here is of one chunk's rows by key, yet the planner chose to scan the whole
    flags table for the chunk's 500 patients (19 and 32 ms a chunk at 100,000 patients,
    against 1 ms through the patient index, so the sweep grew faster than the clinic), and the
    checkpoints table at 10,000. (A table no index serves, as the catalogue's small ones, is
    still scanned.) The settings are local to the transaction and restored on the way out, so
    a caller's transaction (a red-flag check-in evaluated as it is recorded) goes on planning
    as before; on an error the rollback of the chunk's savepoint undoes them."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # OFFSET 0 keeps the subquery apart, so the settings are read before they are set.
        cursor.execute(
            "SELECT was.jit, was.seqscan, set_config('jit', 'off', true),"
            " set_config('enable_seqscan', 'off', true)"
            " FROM (SELECT current_setting('jit') AS jit,"
            " current_setting('enable_seqscan') AS seqscan OFFSET 0) AS was"
        )
        jit, seqscan, _, _ = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', %s, true), set_config('enable_seqscan', %s, true)",
            [jit, seqscan],
        )


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
    catalogue = catalogue_snapshot()
    today = {p.id: now.astimezone(zoneinfo.ZoneInfo(p.time_zone)).date() for p in programmes}
    since = {
        p.id: max(p.started_on - timedelta(days=WEEK), today[p.id] - timedelta(days=HISTORY_DAYS))
        for p in programmes
    }
    programme_of_patient = {p.patient_id: p.id for p in programmes}

    per_week, regression, loading = _prescriptions(programmes)
    # The rules read the last DETAIL_DAYS day by day and what came before in summary,
    # which the database computes (`_SESSION_DAYS_SQL`, `_MORNINGS_SQL`).
    cut = {p.id: today[p.id] - timedelta(days=DETAIL_DAYS - 1) for p in programmes}
    chunk = _chunk_table(programmes, since, today)
    days = _session_days(programmes, chunk)
    mornings = _mornings(programmes, chunk, cut)
    # VISA-A is read from the week before the start, however long ago: the 12- and 24-week
    # reviews compare with the first score (one row a week at most).
    visa_a = _visa_a(programmes, {p.id: p.started_on - timedelta(days=WEEK) for p in programmes})
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
                days=tuple(days[n].days),
                mornings=mornings[n][0],
                visa_a=visa_a.get(p.id, ()),
                checkpoints=checkpoints.get(p.id, ()),
                thresholds=catalogue.thresholds,
                red_flags=catalogue.red_flags,
                regression=regression[p.id],
                pain_limits=_pain_limits(catalogue, p.protocol),
                unresolved_red_flag=p.patient_id in red_flagged,
                onset_on=_onset(p.onset),
                loading=loading[p.id],
                earlier=replace(mornings[n][1], sessions_done=days[n].done_earlier),
            ),
        )
        for n, p in enumerate(programmes)
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

    # Many programmes share a prescription: each distinct one is worked out once per process
    # (until the catalogue changes: the regressions are the catalogue's), not once a chunk.
    memo: dict[_PrescriptionKey, tuple[int, str, bool]] = catalogue_memo("sweep_prescriptions")
    if len(memo) > MEMO_LIMIT:  # therapists' own doses make new ones: never without bound
        memo.clear()
    per_week: dict[uuid.UUID, int] = {}
    regression: dict[uuid.UUID, str] = {}
    loading: dict[uuid.UUID, bool] = {}
    for p in programmes:
        key = (p.current_phase, tuple(items.get(p.id, ())))
        found = memo.get(key)
        if found is None:
            exercises = exercises_with_regressions()
            rows = [
                ProgrammeItem(exercise=exercises[e], times_per_day=t, days_per_week=d)
                for e, t, d in key[1]
            ]
            found = memo[key] = (
                sessions_per_week(rows),
                _regression(p.current_phase, rows),
                any(row.exercise.category in LOADING_CATEGORIES for row in rows),
            )
        per_week[p.id], regression[p.id], loading[p.id] = found
    return per_week, regression, loading


# A prescription as the rules read it: the current phase and its items' (exercise, times a
# day, days a week); and how many distinct ones a process keeps (each a few hundred bytes).
_PrescriptionKey = tuple[int, tuple[tuple[int, int | None, int | None], ...]]
MEMO_LIMIT = 20_000


def _regression(current_phase: int, items: list[ProgrammeItem]) -> str:
    programme = Programme(current_revision=ProgrammeRevision(current_phase=current_phase))
    return regression_suggestion(programme, items)


class _AnyOf(Func):
    """`column IN ids` with the ids bound as ONE parameter: PostgreSQL `IN (SELECT
    unnest(uuid[]))`, SQLite `IN (SELECT value FROM json_each(…))`. A chunk's 500-id IN list
    cost more to build (Django prepares each value) and to send (psycopg parses every
    placeholder of a long statement at each run) than the database took to answer: one
    array parameter keeps the statement short. (As a set to join rather than `= ANY(array)`,
    PostgreSQL reaches the chunk's phases and programmes through their indexes instead of
    testing every row of the table against the array: a third of the time at 10,000.)"""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: Iterable[uuid.UUID]) -> None:
        super().__init__(F(column))
        self.ids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in ids]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            array = "{" + ",".join(str(i) for i in self.ids) + "}"
            return f"{column} IN (SELECT unnest(%s::uuid[]))", [*params, array]
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


# The chunk's programmes as a table in the statement, from ONE parameter (a JSON array of
# [n, programme id, patient id, since, started_on, days_from, mornings_from, first week's
# end, pain_during_from] per programme, n its place in the chunk): the dates each
# programme's rows are read and summarised by depend on its own "today" (its time zone).
_CHUNK_TABLE = {
    "postgresql": (
        "SELECT (v->>0)::int AS n, (v->>1)::uuid AS id, (v->>2)::uuid AS patient,"
        " (v->>3)::date AS since, (v->>4)::date AS started, (v->>5)::date AS days_from,"
        " (v->>6)::date AS mornings_from, (v->>7)::date AS week_end,"
        " (v->>8)::date AS recent"
        " FROM json_array_elements(%s::json) AS e(v)"
    ),
    "sqlite": (
        "SELECT json_extract(value, '$[0]') AS n, json_extract(value, '$[1]') AS id,"
        " json_extract(value, '$[2]') AS patient, json_extract(value, '$[3]') AS since,"
        " json_extract(value, '$[4]') AS started, json_extract(value, '$[5]') AS days_from,"
        " json_extract(value, '$[6]') AS mornings_from, json_extract(value, '$[7]') AS week_end,"
        " json_extract(value, '$[8]') AS recent"
        " FROM json_each(%s)"
    ),
}
# The local date before a check-in's (a date step is written per database).
_DAY_BEFORE = {
    "postgresql": "c.local_date - 1",
    "sqlite": "date(c.local_date, '-1 day')",
}

# Per programme and local date from the day before `mornings_from`: sessions done, the
# highest pain after and, from `recent` (its last PAIN_DURING_DAYS), the highest pain during
# exercise; the days before in ONE row with no date: the sessions done since the start.
# (The pain during exercise is the one figure that needs the exercise entries, looked up
# per session through their index, and only for the last week: the rules that read it look
# back one week. A join with the entries instead would read every entry for each chunk.)
_SESSION_DAY_COLUMNS = """
       CASE WHEN s.local_date >= p.days_from THEN s.local_date END AS day,
       SUM(CASE WHEN s.status = '{done}'
                 AND (s.local_date >= p.days_from OR s.local_date >= p.started)
                THEN 1 ELSE 0 END) AS done,
       MAX(CASE WHEN s.local_date >= p.recent THEN
               (SELECT MAX(e.pain_during_nrs) FROM {exercise} e WHERE e.session_id = s.id)
           END) AS pain_during,
       MAX(CASE WHEN s.local_date >= p.days_from THEN s.pain_after_nrs END) AS pain_after"""
# PostgreSQL groups each programme's ~60 sessions on their own (LATERAL: a fifth less time at
# 10,000 than one sort of the chunk's 30,000); SQLite, which has no LATERAL, groups the join.
_SESSION_DAYS_SQL = {
    "postgresql": f"""
WITH p AS MATERIALIZED ({{chunk}})
SELECT p.n, x.day, x.done, x.pain_during, x.pain_after
FROM p CROSS JOIN LATERAL (
    SELECT {_SESSION_DAY_COLUMNS}
    FROM {{session}} s WHERE s.programme_id = p.id AND s.local_date >= p.since
    GROUP BY 1
) AS x
ORDER BY 1, 2
""",
    "sqlite": f"""
WITH p AS MATERIALIZED ({{chunk}})
SELECT p.n, {_SESSION_DAY_COLUMNS}
FROM p JOIN {{session}} s ON s.programme_id = p.id AND s.local_date >= p.since
GROUP BY 1, 2
ORDER BY 1, 2
""",
}


# The mornings as `rules.summarise` leaves them: each one from `mornings_from`; before it
# (and since the start: `early`) those of the first week and the first, last and worst
# (highest pain, then latest: the largest `{worst}` key); and, on every row, the early
# rest-day mornings (after the start, no session done the day before within the window)
# summed: pain, number, first date. The summaries are one grouping of the mornings (`a`),
# joined back to pick the rows; the days a session was done are a hashed set (NOT IN).
# PostgreSQL does it programme by programme (LATERAL: ~40 mornings and ~40 sessions each,
# a fifth less time at 10,000 than the chunk as a whole, which was itself a quarter less
# than window functions); SQLite, which has no LATERAL, for the chunk as a whole.
def _morning_columns(done_before: str) -> str:
    return f"""c.local_date AS day, c.morning_pain_nrs AS pain,
           c.stiffness_minutes AS stiffness, c.red_flags AS answers,
           CASE WHEN c.local_date < p.mornings_from AND c.local_date >= p.started
                THEN 1 ELSE 0 END AS early,
           CASE WHEN c.local_date < p.mornings_from AND c.local_date > p.started
                 AND {done_before} THEN 1 ELSE 0 END AS rest"""


def _mornings_kept(mornings_from: str, week_end: str) -> str:
    return f"""(m.day >= {mornings_from}
       OR (m.early = 1 AND (m.day < {week_end} OR m.day = a.first_day OR m.day = a.last_day
                            OR {{worst}} = a.worst)))"""


_MORNING_SUMMARY = """MIN(CASE WHEN m.early = 1 THEN m.day END) AS first_day,
           MAX(CASE WHEN m.early = 1 THEN m.day END) AS last_day,
           MAX(CASE WHEN m.early = 1 THEN {worst} END) AS worst,
           SUM(m.rest * m.pain) AS rest_pain,
           SUM(m.rest) AS rest_mornings,
           MIN(CASE WHEN m.rest = 1 THEN m.day END) AS rest_first"""
_DONE_BEFORE_ONE = """{day_before} NOT IN (
                     SELECT s.local_date FROM {session} s
                     WHERE s.programme_id = p.id AND s.status = '{done}'
                       AND s.local_date >= p.since AND s.local_date < p.days_from
                 )"""
_DONE_BEFORE_ALL = """(p.id, {day_before}) NOT IN (
                     SELECT s.programme_id, s.local_date
                     FROM p JOIN {session} s ON s.programme_id = p.id
                     WHERE s.status = '{done}'
                       AND s.local_date >= p.since AND s.local_date < p.days_from
                 )"""
_MORNINGS_SQL = {
    "postgresql": f"""
WITH p AS MATERIALIZED ({{chunk}})
SELECT p.n, x.day, x.pain, x.stiffness, x.answers, x.rest_pain, x.rest_mornings, x.rest_first
FROM p CROSS JOIN LATERAL (
    WITH m AS (
        SELECT {_morning_columns(_DONE_BEFORE_ONE)}
        FROM {{check_in}} c
        WHERE c.patient_id = p.patient AND c.local_date >= p.since
    ),
    a AS (
        SELECT {_MORNING_SUMMARY}
        FROM m
    )
    SELECT m.day, m.pain, m.stiffness, m.answers, a.rest_pain, a.rest_mornings, a.rest_first
    FROM m, a
    WHERE {_mornings_kept("p.mornings_from", "p.week_end")}
) AS x
ORDER BY 1, 2
""",
    "sqlite": f"""
WITH p AS MATERIALIZED ({{chunk}}),
m AS MATERIALIZED (
    SELECT p.n, p.mornings_from, p.week_end,
           {_morning_columns(_DONE_BEFORE_ALL)}
    FROM p
    JOIN {{check_in}} c ON c.patient_id = p.patient AND c.local_date >= p.since
),
a AS (
    SELECT m.n,
           {_MORNING_SUMMARY}
    FROM m
    GROUP BY m.n
)
SELECT m.n, m.day, m.pain, m.stiffness, m.answers, a.rest_pain, a.rest_mornings, a.rest_first
FROM m JOIN a ON a.n = m.n
WHERE {_mornings_kept("m.mornings_from", "m.week_end")}
ORDER BY m.n, m.day
""",
}
# A morning's rank for "worst": its pain, then its date, as one integer (the pain is 0-10).
_WORST = {
    "postgresql": "m.pain * 100000 + (m.day - DATE '2000-01-01')",
    "sqlite": "m.pain * 10000000 + CAST(julianday(m.day) AS INTEGER)",
}


def _summary_sql(templates: Mapping[str, str]) -> str:
    """The statement of `templates` for this database, its tables and date steps filled in."""
    vendor = connection.vendor
    return templates[vendor].format(
        chunk=_CHUNK_TABLE[vendor],
        day_before=_DAY_BEFORE[vendor],
        worst=_WORST[vendor],
        done=SessionLog.Status.DONE,
        session=SessionLog._meta.db_table,
        exercise=ExerciseLog._meta.db_table,
        check_in=CheckIn._meta.db_table,
    )


def _chunk_table(
    programmes: list[_Programme], since: Mapping[uuid.UUID, date], today: Mapping[uuid.UUID, date]
) -> str:
    """The JSON parameter of `_CHUNK_TABLE`: for each programme (n: its place in the chunk)
    the window's first day, the start, the first day carried day by day (the day before
    the last DETAIL_DAYS; never before the window), the first morning carried, the end of
    the first week and the first day whose pain during exercise is read."""
    sqlite = connection.vendor == "sqlite"

    def text(value: uuid.UUID) -> str:
        return value.hex if sqlite else str(value)  # as each database stores a uuid

    rows = []
    for n, p in enumerate(programmes):
        start, day = since[p.id], today[p.id]
        cut = day - timedelta(days=DETAIL_DAYS - 1)
        rows.append(
            [
                n,
                text(p.id),
                text(p.patient_id),
                start.isoformat(),
                p.started_on.isoformat(),
                max(start, cut - ONE_DAY).isoformat(),
                max(start, cut).isoformat(),
                (p.started_on + timedelta(days=WEEK)).isoformat(),
                (day - timedelta(days=PAIN_DURING_DAYS - 1)).isoformat(),
            ]
        )
    return json.dumps(rows)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_date(value: Any) -> Any:
    """A date computed in SQL: PostgreSQL returns a date, SQLite the ISO text (None stays)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(slots=True)
class _Days:
    """A programme's session days as the state carries them (from the day before the last
    DETAIL_DAYS) and the sessions done from the start until then."""

    days: list[SessionDay] = field(default_factory=list)
    done_earlier: int = 0


def _session_days(programmes: list[_Programme], chunk: str) -> list[_Days]:
    """Each programme's session days (in chunk order): `_SESSION_DAYS_SQL`."""
    found = [_Days() for _ in programmes]
    shared: dict[tuple[Any, ...], SessionDay] = {}  # one value, many programmes: see _mornings
    for n, day, done, during, after in _fetch(_summary_sql(_SESSION_DAYS_SQL), [chunk]):
        if day is None:
            found[n].done_earlier = done
            continue
        key = (day, done, during, after)
        session_day = shared.get(key)
        if session_day is None:
            session_day = shared[key] = SessionDay(_as_date(day), done, during, after)
        found[n].days.append(session_day)
    return found


def _mornings(
    programmes: list[_Programme], chunk: str, cut: Mapping[uuid.UUID, date]
) -> list[tuple[tuple[Morning, ...], Earlier]]:
    """Each programme's mornings as `rules.summarise` leaves them and the summary of the
    earlier ones (`Earlier`, without the sessions done): `_MORNINGS_SQL`. The red-flag
    answers come as the stored JSON text, decoded only when not an empty list (rare)."""
    mornings: list[list[Morning]] = [[] for _ in programmes]
    earlier = [Earlier(cut[p.id]) for p in programmes]
    rows = _fetch(_summary_sql(_MORNINGS_SQL), [chunk])
    # Mornings and session days are frozen values, and a chunk's repeat: of every 100 rows,
    # ~45 distinct mornings and ~19 distinct session days. Each is built once per chunk and
    # shared (read only, compared by value), not built again for every row.
    shared: dict[tuple[Any, ...], Morning] = {}
    for n, day, pain, stiffness, answers, rest_pain, rest_mornings, rest_first in rows:
        found = mornings[n]
        if not found and rest_mornings:
            earlier[n] = Earlier(
                earlier[n].mornings_from,
                rest_pain=rest_pain,
                rest_mornings=rest_mornings,
                rest_first=_as_date(rest_first),
            )
        key = (day, pain, stiffness, answers)
        morning = shared.get(key)
        if morning is None:
            morning = shared[key] = Morning(_as_date(day), pain, stiffness, _answers(answers))
        found.append(morning)
    return [(tuple(found), summary) for found, summary in zip(mornings, earlier, strict=True)]


def _answers(stored: str) -> tuple[str, ...]:
    """A check-in's red-flag answers from the stored JSON text (nearly always "[]")."""
    return () if stored == "[]" else tuple(json.loads(stored))


def _visa_a(
    programmes: list[_Programme], visa_since: Mapping[uuid.UUID, date]
) -> dict[uuid.UUID, tuple[ScoreOn, ...]]:
    """VISA-A scores since the week before each programme started."""
    of_key = {p.patient_key: p for p in programmes}
    scores: dict[uuid.UUID, list[ScoreOn]] = {p.id: [] for p in programmes}
    for key, day, value in (
        QuestionnaireResponse.objects.filter(
            _AnyOf("patient_id", [p.patient_id for p in programmes]),
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
    return {key: tuple(value) for key, value in scores.items()}


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


@dataclass(slots=True)
class _Stored:
    """A stored flag as the sweep compares a finding with it; `flag` the instance, read only
    when the caller wants the flags back (`evaluate_chunk(with_flags=True)`)."""

    pk: uuid.UUID
    status: str
    evidence: Any
    flag: Flag | None = None


def _store(
    findings: list[tuple[_Programme, Finding]], *, with_flags: bool = True
) -> tuple[int, int, dict[uuid.UUID, list[Flag]]]:
    """Create, update or leave each finding's flag in a fixed number of statements; returns
    (created, updated, and with `with_flags` the flag of each finding per programme). Without
    it the stored flags are read as the few values compared (the hourly sweep: building ~600
    flag instances a chunk, their three JSON columns decoded, cost more than their read)."""
    if not findings:
        return 0, 0, {}
    keys = {(p.patient_id, f.rule, f.episode) for p, f in findings}
    rows = Flag.objects.filter(
        _AnyOf("patient_id", {k[0] for k in keys}), episode__in={k[2] for k in keys}
    )
    stored: dict[FlagKey, _Stored]
    if with_flags:
        stored = {
            (f.patient_id, f.rule, f.episode): _Stored(f.pk, f.status, f.evidence, f) for f in rows
        }
    else:
        stored = {
            (patient_id, rule, episode): _Stored(pk, status, evidence)
            for pk, patient_id, rule, episode, status, evidence in rows.order_by().values_list(
                "pk", "patient_id", "rule", "episode", "status", "evidence"
            )
        }
    new: dict[FlagKey, Flag] = {}
    changed: dict[FlagKey, Flag] = {}
    # In order: a later finding for the same key updates the flag an earlier one created.
    for p, finding in findings:
        key = (p.patient_id, finding.rule, finding.episode)
        values = _values(p, finding)
        flag = new.get(key)
        if flag is not None:
            if flag.evidence != values["evidence"]:
                _set(flag, values)
            continue
        found = stored.get(key)
        if found is None:
            flag = Flag(patient_id=p.patient_id, rule=finding.rule, episode=finding.episode)
            _set(flag, values)
            new[key] = flag
        elif found.status == Flag.Status.OPEN and found.evidence != values["evidence"]:
            flag = changed.get(key) or found.flag
            if flag is None:  # all bulk_update writes: the values and updated_at, by pk
                flag = Flag(
                    pk=found.pk, patient_id=p.patient_id, rule=finding.rule, episode=finding.episode
                )
            _set(flag, values)
            changed[key] = flag
            found.evidence = values["evidence"]
    # A flag another process created since we read (an evaluate_patient_task for a fresh
    # check-in) wins: ignore_conflicts skips ours, and only the rows really inserted count
    # (the audited bulk_create returns just those, and writes an audit entry for each).
    inserted = {flag.pk for flag in Flag.objects.bulk_create(new.values(), ignore_conflicts=True)}
    current: dict[FlagKey, Flag] = {}
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
    if with_flags:
        for p, finding in findings:
            key = (p.patient_id, finding.rule, finding.episode)
            flag = current.get(key) or new.get(key) or changed.get(key) or stored[key].flag
            assert flag is not None  # read with the flags
            flags[p.id].append(flag)
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
