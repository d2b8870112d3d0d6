"""The hourly retention job (`retention_sweep`) deleting old reminders and notifications,
beside its floor in the same run. It deletes: run it on a copy of a clinic whose reminders
were planned and delivered (bench.delivery), made with `createdb -T bench_100k bench_100k_copy`.

    python -m bench.retention --database postgres://…/bench_100k_copy

Every reminder and notification there is made "old" by moving the clock: the job runs at the
newest row's creation time plus the retention period, so it deletes them all — a day's planning
and every delivered wave at once, where the hourly job deletes an hour's worth. Measured: rows
deleted per second by `prune_reminders` and `prune_notifications` (2,000 per transaction, read
by a range of their keys), and from that the seconds an hourly run takes at this clinic (a
day's reminders, planned for tomorrow, over 24; as many notifications).

Floor, first and rolled back: one `DELETE … WHERE created_at < cut-off` per table (the fewest
statements that delete the same rows).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from bench.common import emit, setup_django, stopwatch


def measure() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max

    from patients.models import Notification, Reminder
    from patients.notifications.services import prune_notifications
    from patients.reminders.services import prune_reminders

    tables: dict[str, Any] = {"reminders": Reminder, "notifications": Notification}
    made = [m.objects.aggregate(newest=Max("created_at"))["newest"] for m in tables.values()]
    if None in made:
        raise SystemExit("plan and deliver reminders first (bench.delivery)")
    newest = max(made)
    kept = timedelta(days=settings.REHAB_MESSAGE_RETENTION_DAYS)
    now = newest + kept + timedelta(minutes=1)
    cut_off = now - kept
    tomorrow = Reminder.objects.aggregate(day=Max("local_date"))["day"]
    result: dict[str, Any] = {
        "rows": {name: m.objects.count() for name, m in tables.items()},
        "time_ordered_keys": {name: _version_7(m._meta.db_table) for name, m in tables.items()},
        "reminders_per_day": Reminder.objects.filter(local_date=tomorrow).count(),
    }

    floor: dict[str, Any] = {}
    for name, model in tables.items():
        with transaction.atomic(), connection.cursor() as cursor, stopwatch() as elapsed:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE created_at < %s",
                [cut_off],
            )
            deleted = cursor.rowcount
            seconds = elapsed()
            transaction.set_rollback(True)
        floor[name] = {"deleted": deleted, "seconds": round(seconds, 2)}
        floor[name]["rows_per_second"] = round(deleted / seconds) if seconds else None

    job: dict[str, Any] = {}
    for name, prune in (("reminders", prune_reminders), ("notifications", prune_notifications)):
        with stopwatch() as elapsed:
            pruned = prune(now=now)
        seconds = elapsed()
        job[name] = {
            "deleted": pruned.deleted,
            "seconds": round(seconds, 2),
            "rows_per_second": round(pruned.deleted / seconds) if seconds else None,
        }
        job[name]["ratio_to_floor"] = (
            round(seconds / floor[name]["seconds"], 2) if floor[name]["seconds"] else None
        )
        rate = job[name]["rows_per_second"]
        hourly = result["reminders_per_day"] / 24
        job[name]["hourly_run_seconds"] = round(hourly / rate, 2) if rate else None
    result["floor"] = floor
    result["job"] = job
    result["left"] = {name: m.objects.count() for name, m in tables.items()}
    return result


def _version_7(table: str) -> int:
    """Rows of `table` with a time-ordered key (the others were made by code before them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE substr(id::text, 15, 1) = '7'")
        return int(cursor.fetchone()[0])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the retention job deleting old messages")
    parser.add_argument("--database", required=True)
    parser.add_argument(
        "--force", action="store_true", help="run on a database not named *_copy (it deletes)"
    )
    args = parser.parse_args(argv)
    if not urlparse(args.database).path.endswith("_copy") and not args.force:
        parser.error("it deletes every reminder and notification: run it on a copy (*_copy)")
    setup_django(args.database)
    emit(measure())


if __name__ == "__main__":
    main()
