"""The monitoring sweep against the database floor, in a fresh process per measurement.

    python -m bench.monitoring MODE --database URL --today YYYY-MM-DD [--limit N]

MODE is one of:
- sweep:   `patients.sweep.evaluate_active_programmes` over every active programme, from no
           flags (`--fresh`) or with the flags of an earlier run in place (steady state);
- legacy:  the sweep as it was before (evaluate_patient per patient, ~8 queries each), over
           the first `--limit` patients, from no flags;
- floor:   one SQL statement that reads the same rows as the sweep (session logs of the
           window, the exercise entries of the last week's sessions, check-ins, VISA-A scores,
           checkpoints) and aggregates them per programme: what the database alone needs, with
           no rules, no Python objects and no writes;
- workers: the sweep as the hourly task runs it: `monitoring_sweep` cuts the chunks and queues
           one task each, and `--workers` real `celery worker` processes (one task at a time
           each) share them through Redis (`--redis`); timed from the cut until the last chunk
           is done (Celery's own "succeeded" line for each chunk task), `--repeat` times after
           a first sweep that warms the workers. The workers run on the real clock;
- check:   on a sample of `--limit` programmes, the batched sweep's flags equal those of
           evaluate_patient (both in a transaction that is rolled back), and "today" finds the
           generated sessions.

Prints one JSON line: seconds, peak RSS of the process (MiB) and the RSS before the work, and
for sweep and floor the CPU seconds of this process and of its PostgreSQL backend (on a shared
machine wall time also measures the wait for a core).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import bench_now, cpu_meter, emit, peak_rss_mb, setup_django, stopwatch

FLOOR_SQL = """
WITH entries AS (
    SELECT e.session_id, MAX(e.pain_during_nrs) AS pain
    FROM {exercise} e JOIN {session} s ON s.id = e.session_id
    WHERE s.local_date >= %s
    GROUP BY e.session_id
), days AS (
    SELECT s.programme_id, s.local_date,
           SUM(CASE WHEN s.status = 'done' THEN 1 ELSE 0 END) AS done,
           MAX(e.pain) AS pain_during,
           MAX(s.pain_after_nrs) AS pain_after
    FROM {session} s
    JOIN {programme} p ON p.id = s.programme_id AND p.status = 'active'
    LEFT JOIN entries e ON e.session_id = s.id
    WHERE s.local_date >= %s
    GROUP BY s.programme_id, s.local_date
), sessions AS (
    SELECT programme_id, COUNT(*) AS days, SUM(done) AS done,
           MAX(pain_during) AS pain_during, MAX(pain_after) AS pain_after
    FROM days GROUP BY programme_id
), mornings AS (
    SELECT patient_id, COUNT(*) AS n, AVG(morning_pain_nrs) AS pain,
           AVG(stiffness_minutes) AS stiffness, MAX(local_date) AS last
    FROM {check_in} WHERE local_date >= %s GROUP BY patient_id
), scores AS (
    SELECT patient_id, COUNT(*) AS n, MIN(score) AS low, MAX(score) AS high
    FROM {response} WHERE questionnaire = 'visa_a' AND local_date >= %s GROUP BY patient_id
), due AS (
    SELECT programme_id, COUNT(*) AS n FROM {checkpoint} WHERE due_on <= %s
    GROUP BY programme_id
)
SELECT p.id, s.days, s.done, s.pain_during, s.pain_after, m.n, m.pain, m.stiffness, m.last,
       q.n, q.low, q.high, d.n
FROM {programme} p
LEFT JOIN sessions s ON s.programme_id = p.id
LEFT JOIN mornings m ON m.patient_id = p.patient_id
LEFT JOIN scores q ON q.patient_id = p.patient_id
LEFT JOIN due d ON d.programme_id = p.id
WHERE p.status = 'active'
"""


def floor(today: date) -> dict[str, Any]:
    from django.db import connection

    from patients.models import CheckIn, ExerciseLog, QuestionnaireResponse, SessionLog
    from patients.monitoring.sweep import HISTORY_DAYS, PAIN_DURING_DAYS
    from programmes.models import Checkpoint, Programme

    sql = FLOOR_SQL.format(
        session=SessionLog._meta.db_table,
        exercise=ExerciseLog._meta.db_table,
        programme=Programme._meta.db_table,
        check_in=CheckIn._meta.db_table,
        response=QuestionnaireResponse._meta.db_table,
        checkpoint=Checkpoint._meta.db_table,
    )
    since = today - timedelta(days=HISTORY_DAYS)
    recent = today - timedelta(days=PAIN_DURING_DAYS - 1)
    params: list[Any] = [recent, since, since, since, today]
    if connection.vendor == "sqlite":
        params = [d.isoformat() for d in params]
    before = peak_rss_mb()
    rows = 0
    with cpu_meter() as cpu, stopwatch() as elapsed, connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            rows += len(batch)
    return {
        "seconds": round(elapsed(), 3),
        **cpu(),
        "rows": rows,
        "rss_before_mb": round(before, 1),
    }


def analyze_flags() -> None:
    """Fresh statistics of the flags table, as autovacuum gathers them in production soon
    after a sweep writes thousands of flags. (The bench machine's server runs without
    autovacuum: after a first sweep its planner still believed the table empty, and read every
    flag for each chunk's red-flag check, 5.8 ms a chunk at 10,000 patients instead of 1.8.)"""
    from django.db import connection

    from patients.models import Flag

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Flag._meta.db_table}")


def sweep(today: date, *, fresh: bool) -> dict[str, Any]:
    from patients.models import Flag
    from patients.monitoring.sweep import evaluate_active_programmes
    from programmes.selectors import catalogue_snapshot

    if fresh:
        Flag.objects.all().delete()
    analyze_flags()
    catalogue_snapshot()
    before = peak_rss_mb()
    with cpu_meter() as cpu, stopwatch() as elapsed:
        report = evaluate_active_programmes(now=bench_now(today))
    return {
        "seconds": round(elapsed(), 3),
        **cpu(),
        "rss_before_mb": round(before, 1),
        "programmes": report.programmes,
        "findings": report.findings,
        "created": report.created,
        "updated": report.updated,
        "flags": Flag.objects.count(),
    }


CHUNK_DONE = re.compile(
    r"Task patients\.tasks\.monitoring_chunk_task\[([0-9a-f-]+)\] succeeded in ([0-9.]+)s"
)
CHUNK_REPORT = re.compile(
    r"monitoring chunk: (\d+) programmes, (\d+) findings, (\d+) flags created, (\d+) updated"
)
CHUNK_FAILED = re.compile(
    r"Task patients\.tasks\.monitoring_chunk_task\[[0-9a-f-]+\] (raised|retry)"
)


class _Tail:
    """The lines added to a log file since the last read (read from where it stopped, so
    waiting on it costs the bench process next to nothing)."""

    def __init__(self, path: Path) -> None:
        self.file = path.open()
        self.partial = ""

    def lines(self) -> list[str]:
        text = self.partial + self.file.read()
        *complete, self.partial = text.split("\n")
        return complete


def on_workers(
    *, database: str, redis: str, workers: int, repeat: int, timeout: float
) -> dict[str, Any]:
    """The hourly sweep shared by `workers` worker processes: each run from the cut until every
    chunk task has succeeded (read from the workers' log)."""
    import redis as redis_client
    from django.conf import settings

    from bench.delivery import start_workers, stop, wait_for_workers
    from bench.smtp_sink import start_sink
    from patients.models import Flag
    from patients.monitoring.sweep import chunk_bounds
    from patients.monitoring.tasks import monitoring_sweep

    redis_client.Redis.from_url(redis).flushdb()  # our own db (check_redis_url: never 0)
    chunks = sum(1 for _ in chunk_bounds(chunk_size=settings.REHAB_SWEEP_CHUNK_SIZE))
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "workers.log"
        log.touch()
        tail = _Tail(log)
        # An urgent flag's notice goes to a real (local) mail server, not to an error.
        sink, port = start_sink(Path(folder) / "mail.log")
        processes = start_workers(workers, database, redis, port, log=log)
        try:
            wait_for_workers(workers)
            for run in range(repeat + 1):
                tail.lines()  # what earlier runs logged
                analyze_flags()  # those the warm-up wrote, as autovacuum would
                done: dict[str, float] = {}
                reports: list[tuple[str, ...]] = []
                load = os.getloadavg()[0]
                with stopwatch() as elapsed:
                    monitoring_sweep()  # the task's body: cut the chunks, queue one task each
                    while len(done) < chunks:
                        time.sleep(0.01)
                        for line in tail.lines():
                            if found := CHUNK_DONE.search(line):
                                done[found[1]] = float(found[2])
                            elif found := CHUNK_REPORT.search(line):
                                reports.append(found.groups())
                            elif CHUNK_FAILED.search(line):
                                raise SystemExit(f"a chunk task failed: {line}")
                        if elapsed() > timeout:
                            raise SystemExit(f"the sweep did not finish in {timeout:.0f} s")
                seconds = elapsed()
                time.sleep(0.2)  # the last chunk's report line, logged just before "succeeded"
                reports += [f.groups() for f in map(CHUNK_REPORT.search, tail.lines()) if f]
                runs.append(
                    {
                        "run": "warm-up" if run == 0 else run,
                        "seconds": round(seconds, 3),
                        "chunk_task_seconds": round(sum(done.values()), 3),
                        "load_average_before": round(load, 2),
                        "programmes": sum(int(r[0]) for r in reports),
                        "findings": sum(int(r[1]) for r in reports),
                        "created": sum(int(r[2]) for r in reports),
                        "updated": sum(int(r[3]) for r in reports),
                    }
                )
            peaks = _worker_peak_rss(processes)
        finally:
            stop(processes)
            stop([sink])
    timed = sorted(r["seconds"] for r in runs[1:])
    return {
        "workers": workers,
        "chunks": chunks,
        "chunk_size": settings.REHAB_SWEEP_CHUNK_SIZE,
        "seconds": timed[len(timed) // 2] if timed else None,
        "runs": runs,
        "worker_peak_rss_mb": peaks,
        "flags": Flag.objects.count(),
    }


def _worker_peak_rss(processes: list[Any]) -> list[float]:
    """Peak RSS (MiB) of each worker's pool process: the one that runs the chunks."""
    peaks = []
    for process in processes:
        for child in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024, 1))
    return peaks


def legacy(today: date, *, limit: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from patients.models import Flag, Patient
    from patients.monitoring.services import evaluate_patient
    from programmes.selectors import catalogue_snapshot

    Flag.objects.all().delete()
    catalogue_snapshot()
    now = bench_now(today)
    patients = Patient.objects.filter(programmes__status="active").distinct().order_by("pk")
    before = peak_rss_mb()
    count = 0
    with CaptureQueriesContext(connection) as queries, stopwatch() as elapsed:
        for patient in patients[:limit].iterator(chunk_size=500):
            evaluate_patient(patient=patient, now=now)
            count += 1
    return {
        "seconds": round(elapsed(), 3),
        "rss_before_mb": round(before, 1),
        "patients": count,
        "queries": len(queries),
        "queries_per_patient": round(len(queries) / max(count, 1), 1),
    }


class _Rollback(Exception):
    pass


def check(today: date, *, limit: int) -> dict[str, Any]:
    """The batched sweep equals evaluate_patient on generated data; "today" reads it."""
    from django.db import transaction

    from patients.activity.selectors import today_for
    from patients.models import Flag, Patient
    from patients.monitoring.services import evaluate_patient
    from patients.monitoring.sweep import evaluate_programmes
    from programmes.models import Programme

    now = bench_now(today)
    programmes = list(
        Programme.objects.filter(status="active").order_by("pk").select_related("patient")[:limit]
    )
    fields = ("patient_id", "rule", "episode", "kind", "severity", "message", "evidence")

    def flags(run: Any) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        try:
            with transaction.atomic():
                Flag.objects.all().delete()
                run()
                found = sorted((str(row[0]), *row[1:]) for row in Flag.objects.values_list(*fields))
                raise _Rollback
        except _Rollback:
            pass
        return found

    one_by_one = flags(lambda: [evaluate_patient(patient=p.patient, now=now) for p in programmes])
    batched = flags(lambda: evaluate_programmes(programme_ids=[p.pk for p in programmes], now=now))
    days = [today_for(p, now) for p in Patient.objects.filter(programmes__in=programmes[:50])]
    kinds: dict[str, int] = {}
    for row in batched:
        kinds[row[3]] = kinds.get(row[3], 0) + 1
    return {
        "programmes": len(programmes),
        "flags": len(batched),
        "flags_by_kind": kinds,
        "equal_to_evaluate_patient": one_by_one == batched,
        "today_with_sessions": sum(1 for d in days if d.sessions),
        "today_checked": len(days),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="monitoring sweep benchmark (one mode)")
    parser.add_argument("mode", choices=["sweep", "workers", "legacy", "floor", "check"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--fresh", action="store_true", help="delete all flags first")
    parser.add_argument("--redis", default="", help="workers: the broker (a bench db, not 0)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    if args.mode == "workers" and not (args.redis and args.database.startswith("postgres")):
        parser.error("workers needs --redis and a PostgreSQL --database (separate processes)")
    setup_django(args.database, args.redis)
    if args.mode == "sweep":
        result = sweep(args.today, fresh=args.fresh)
    elif args.mode == "workers":
        result = on_workers(
            database=args.database,
            redis=args.redis,
            workers=args.workers,
            repeat=args.repeat,
            timeout=args.timeout,
        )
    elif args.mode == "legacy":
        result = legacy(args.today, limit=args.limit)
    elif args.mode == "floor":
        result = floor(args.today)
    else:
        result = check(args.today, limit=args.limit)
    emit({"mode": args.mode, **result, "peak_rss_mb": round(peak_rss_mb(), 1)})


if __name__ == "__main__":
    main()
