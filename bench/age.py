"""An aged clinic for bench.delivery: the days before the bench's "today" given the reminders
and in-app notifications a running clinic would hold by then, so that delivery is measured
against tables and indexes of their real size rather than freshly made ones.

    python -m bench.age --database postgres://…/bench_100k_aged_copy --today 2026-12-06 \
        --days 7 --keys time-ordered

Run it on a copy whose reminders are planned (bench.delivery's first run, or `plan`). Each of
the `--days` days before `today` gets a copy of `today`'s planned reminders, sent (session
reminders looked at for a nudge), and a notification for each of those, e-mailed, about half
of them read: about 380,000 of each a day at 100,000 patients. The keys are those of the
code being measured: `time-ordered` (UUID version 7 of each row's creation time, as
`rehab.models.uuid7` makes them) or `random` (version 4, as the code before migration 0026 made
them; the planned days' reminders are given random keys too). The tables are then vacuumed and
analysed, as autovacuum would have done by then. bench.delivery counts only the notifications
made on or after midnight UTC of `today`, so the history is neither counted nor deleted by its
runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from urllib.parse import urlparse

from bench.common import emit, setup_django, stopwatch

# A version 7 UUID made in SQL from a timestamp: its first 48 bits the Unix time in ms, the rest
# random, the version nibble 0111 (set on a version 4 UUID's 0100), the variant kept.
UUID7_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.uuid7_at(moment timestamptz) RETURNS uuid AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM moment) * 1000)::bigint)
                                FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$ LANGUAGE sql VOLATILE
"""


class NotReady(Exception):
    """The clinic is not in the state this needs (no plan yet, or aged already)."""


def age(today: date, days: int, keys: str) -> dict[str, Any]:
    from django.db import connection

    from patients.models import Notification, Patient, Reminder
    from patients.reminders.services import TEXT

    reminders = Reminder._meta.db_table
    notifications = Notification._meta.db_table
    patients = Patient._meta.db_table
    if not Reminder.objects.filter(local_date=today).exists():
        raise NotReady("plan the reminders first (bench.delivery's first run)")
    # bench.delivery counts the notifications made on or after midnight UTC of `today` as its
    # own: the few sent late on the day before (the Americas' evenings) are dated just before.
    before_today = datetime.combine(today, clock(0), UTC) - timedelta(seconds=1)
    if Notification.objects.filter(created_at__lte=before_today).exists():
        raise NotReady("this clinic is aged already")
    key = "pg_temp.uuid7_at({})" if keys == "time-ordered" else "gen_random_uuid()"
    # A text for each kind, as parameters: the title's CASE, then the body's.
    by_kind = " ".join(f"WHEN '{kind}' THEN %s" for kind in TEXT)  # our own constants
    text = [title for title, _ in TEXT.values()] + [
        body.format(slot="1", minutes="N") for _, body in TEXT.values()
    ]
    result: dict[str, Any] = {"days": days, "keys": keys}
    with connection.cursor() as cursor, stopwatch() as elapsed:
        if keys == "time-ordered":
            cursor.execute(UUID7_SQL)
        else:
            cursor.execute(f"UPDATE {reminders} SET id = gen_random_uuid()")
            result["planned_rekeyed"] = cursor.rowcount
        # The night's planning made the day before `today` too (the catch-up window, the zones
        # behind London): replaced by its delivered copy like every other day of the history.
        cursor.execute(f"DELETE FROM {reminders} WHERE local_date < %s", [today])
        result["planned_before_today_replaced"] = cursor.rowcount
        for back in range(days, 0, -1):  # oldest first, as they were made
            shift = f"interval '{back} days'"  # an int of ours
            cursor.execute(
                f"INSERT INTO {reminders} (id, created_at, updated_at, patient_id, local_date,"
                " slot, kind, due_at, status, sent_at, nudged_at, attempts)"
                f" SELECT {key.format(f'created_at - {shift}')}, created_at - {shift},"
                f" due_at - {shift} + interval '1 second', patient_id, local_date - {back},"
                f" slot, kind, due_at - {shift}, 'sent', due_at - {shift} + interval '1 second',"
                f" CASE WHEN kind = 'session' THEN due_at - {shift} + interval '2 hours' END, 1"
                f" FROM {reminders} WHERE local_date = %s ORDER BY due_at",
                [today],
            )
            cursor.execute(
                f"INSERT INTO {notifications} (id, created_at, updated_at, user_id, kind, title,"
                " body, read_at, email_to, emailed_at, push_wanted, mobile_wanted)"
                f" SELECT {key.format('made')}, made, made, user_id, 'reminder:' || kind,"
                f" CASE kind {by_kind} END, CASE kind {by_kind} END,"
                " CASE WHEN random() < 0.5 THEN made + interval '1 hour' END,"
                " 'patient@example.org', made + interval '5 seconds', false, false"
                f" FROM (SELECT LEAST(r.due_at - {shift} + interval '1 second', %s) AS made,"
                f" p.user_id, r.kind FROM {reminders} r JOIN {patients} p ON p.id = r.patient_id"
                " WHERE r.local_date = %s) AS sent ORDER BY made",
                [*text, before_today, today],
            )
        result["seconds"] = round(elapsed(), 1)
        for table in (reminders, notifications):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        result["rows"] = {
            "reminders": Reminder.objects.count(),
            "notifications": Notification.objects.count(),
        }
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) / 1048576 FROM pg_class"
            " WHERE relname IN (%s, %s)",
            [reminders, notifications],
        )
        result["megabytes"] = dict(cursor.fetchall())
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="an aged clinic for bench.delivery")
    parser.add_argument("--database", required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--keys", choices=["time-ordered", "random"], default="time-ordered")
    args = parser.parse_args(argv)
    if not args.database.startswith("postgres"):
        parser.error("use a PostgreSQL bench database")
    if not urlparse(args.database).path.endswith("_copy"):
        parser.error("it rewrites the clinic's messages: run it on a copy (*_copy)")
    if args.days < 1:
        parser.error("--days must be at least 1")
    setup_django(args.database)
    try:
        emit(age(args.today, args.days, args.keys))
    except NotReady as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
