"""The per-minute reminder job at the 08:00 London peak and in a quiet minute, and the planner
that materialises the reminders ahead of it (issue 14).

    python -m bench.reminder_sweep --database postgres://…/bench --today 2026-12-05 \
        [--redis redis://127.0.0.1:6379/6] [--repeat 5]

On generated data (bench.generate, same `--today`): first the planner plans every patient's
local days (`plan_reminders`, timed once: the night's work, spread by the beat over runs of
the planner). Then, for each instant — 08:01 London on `today` (the peak: everything due at
08:00) and 03:17 London (a quiet minute) — reminders due more than a minute earlier are marked
sent (earlier runs delivered them), and one run of the per-minute job (`reminder_sweep`, in
this process at that instant) is timed `--repeat` times: the count of what is due and of the
e-mails owed (one indexed query each), one batch task queued per 250 due reminders (on the
`--redis` db, flushed, never db 0; or in memory) and the nudges. Medians are reported.

Before issue 14 there was no planner: the job planned as it went (`schedule_due_reminders`,
per active programme every minute). The same command on that code times it, first run and
later runs, so the before/after figures come from one script on the same data.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import check_redis_url, emit, setup_django, stopwatch

LONDON = ZoneInfo("Europe/London")


def instants(today: date) -> dict[str, datetime]:
    def london(at: time) -> datetime:
        return datetime.combine(today, at, tzinfo=LONDON).astimezone(UTC)

    return {
        "peak_0800_london": london(time(8, 0, 30)),
        "quiet_0317_london": london(time(3, 17, 30)),
        # Two hours after the peak: the 08:00 sessions not yet logged are nudged.
        "nudges_1000_london": london(time(10, 0, 30)),
    }


def _settle(now: datetime) -> None:
    """What earlier runs of the job delivered is sent (at its due time, so the nudges due
    are those of a real morning); what is due in this minute is pending. Every row here is
    this benchmark's own (it plans them)."""
    _restore()
    from django.db.models import F

    from patients.models import Reminder

    Reminder.objects.filter(
        status=Reminder.Status.PENDING, due_at__lte=now - timedelta(minutes=1)
    ).update(status=Reminder.Status.SENT, sent_at=F("due_at"))


def _restore() -> None:
    from patients.models import Reminder

    Reminder.objects.exclude(status=Reminder.Status.PENDING).update(
        status=Reminder.Status.PENDING, sent_at=None, nudged_at=None
    )


def measure_after(
    today: date, repeat: int, redis: str, patients: int | None, replicate: int
) -> dict[str, Any]:
    import redis as redis_client
    import time_machine
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from patients.models import Reminder, ReminderPlan
    from patients.reminders import services
    from patients.reminders.tasks import reminder_sweep

    Reminder.objects.all().delete()
    ReminderPlan.objects.all().delete()
    night = datetime.combine(today, time(0, 30), tzinfo=LONDON).astimezone(UTC)
    users = get_user_model().objects.filter(username__startswith="bench-p").order_by("username")
    patient_ids: list[Any] = list(
        users[:patients].values_list("patient__pk", flat=True)
        if patients
        else users.values_list("patient__pk", flat=True)
    )
    with stopwatch() as elapsed:
        planned = services.plan_reminders(now=night, patient_ids=patient_ids)
    result: dict[str, Any] = {
        "planner": {
            "patients_planned": planned,
            "reminders_planned": Reminder.objects.count(),
            "seconds": round(elapsed(), 2),
        }
    }
    with stopwatch() as elapsed:
        again = services.plan_reminders(now=night, patient_ids=patient_ids)
    result["planner"]["second_run_patients"] = again
    result["planner"]["second_run_seconds"] = round(elapsed(), 3)
    if replicate > 1:
        result["replicated"] = _replicate(replicate)
    for name, now in instants(today).items():
        _settle(now)
        runs, queries = [], []
        for _ in range(repeat):
            if redis:
                redis_client.Redis.from_url(check_redis_url(redis)).flushdb()
            with (
                time_machine.travel(now, tick=False),
                CaptureQueriesContext(connection) as captured,
                stopwatch() as elapsed,
            ):
                reminder_sweep.apply().get()  # the per-minute job itself, as a worker runs it
            runs.append(elapsed())
            queries.append(len(captured))
        due = services.due_reminders(now=now).count()
        nudges = services.nudges_due(now=now).count()
        result[name] = {
            "now": now.isoformat(),
            "due": due,
            "nudges_due": nudges,
            "batch_tasks_queued": -(-due // services.BATCH) + -(-nudges // services.BATCH),
            "job_queries": queries[0],
            "job_seconds_median": round(statistics.median(runs), 4),
            "runs": [round(r, 4) for r in runs],
        }
        _restore()
    if redis:
        redis_client.Redis.from_url(check_redis_url(redis)).flushdb()
    if replicate > 1:  # the copies are for the due query alone: nothing is to deliver them
        Reminder.objects.filter(slot__contains="#").delete()
    return result


def _replicate(times: int) -> dict[str, Any]:
    """Copies of every planned row under another slot name (same patient, date, due time):
    the table and the due waves of `times`× the patients, for the due query alone."""
    from django.db import connection

    from patients.models import Reminder

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patients_reminder (id, created_at, updated_at, patient_id, local_date,"
            " slot, kind, due_at, status, attempts) SELECT gen_random_uuid(), created_at,"
            " updated_at, patient_id, local_date, slot || '#' || k, kind, due_at, status, attempts"
            " FROM patients_reminder, generate_series(1, %s) AS k",
            [times - 1],
        )
        cursor.execute("ANALYZE patients_reminder")
    return {"times": times, "rows": Reminder.objects.count()}


def measure_before(today: date, repeat: int) -> dict[str, Any]:
    """The job as it was: planning per active programme inside every run."""
    from patients.models import Reminder
    from patients.reminders import services

    result: dict[str, Any] = {}
    for name, now in instants(today).items():
        Reminder.objects.all().delete()
        runs = []
        due = 0
        for _ in range(repeat):
            with stopwatch() as elapsed:
                due = len(services.schedule_due_reminders(now=now))
            runs.append(round(elapsed(), 2))
        result[name] = {
            "now": now.isoformat(),
            "due": due,
            "first_run_seconds": runs[0],
            "later_runs_seconds_median": statistics.median(runs[1:]) if len(runs) > 1 else None,
            "runs": runs,
        }
    Reminder.objects.all().delete()
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the per-minute reminder job and its planner")
    parser.add_argument("--database", required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--redis", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--patients", type=int, help="plan only the first N bench patients")
    parser.add_argument(
        "--replicate", type=int, default=1, help="copy the plan K times (PostgreSQL): K× scale"
    )
    args = parser.parse_args(argv)
    setup_django(args.database, args.redis)
    from django.contrib.auth import get_user_model

    from patients.reminders import services

    patients = (
        args.patients or get_user_model().objects.filter(username__startswith="bench-p").count()
    )
    planned_ahead = hasattr(services, "due_reminders")
    result: dict[str, Any] = {"patients": patients, "planned_ahead": planned_ahead}
    if planned_ahead:
        result |= measure_after(args.today, args.repeat, args.redis, args.patients, args.replicate)
    else:
        result |= measure_before(args.today, args.repeat)
    emit(result)


if __name__ == "__main__":
    main()
