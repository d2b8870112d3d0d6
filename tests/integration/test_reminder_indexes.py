"""The reminder and notification indexes (issue 14). Sending a reminder and nudging it each
write a new row version, and every index that is not partial takes a new entry for it; so
the per-minute job reads partial indexes holding only what it still has to look at (a row
leaves them by the update that moves it on, without a new entry), and no other index is kept
than the ones something reads. Read from PostgreSQL's own catalogue and plans, with
sequential scans off so that a tiny test table cannot hide an index whose condition the
query fails to match."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients.models import Flag, Notification, Reminder
from patients.notifications.services import prune_notifications
from patients.reminders.selectors import delivery_backlog
from patients.reminders.services import due_reminders, nudges_due, plan_reminders, prune_reminders
from tests import factories
from tests.integration.conftest import needs_postgresql

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)


def _indexes(table: str) -> dict[str, str | None]:
    """Each index of `table` with its condition (None where it indexes every row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
            [table],
        )
        return dict(cursor.fetchall())


def test_the_per_minute_jobs_reads_are_answered_by_the_partial_indexes() -> None:
    needs_postgresql()
    factories.prescribe(factories.PatientFactory(), started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "reminder_pending_due" in due_reminders(now=AT_0805).explain()
    assert "reminder_nudge_owed" in nudges_due(now=AT_0805).explain()
    # What operations watch (manage.py delivery_status): the due and the missed counts.
    with CaptureQueriesContext(connection) as ran:
        delivery_backlog(now=AT_0805)
    reads = [q["sql"] for q in ran if Reminder._meta.db_table in q["sql"]]
    assert len(reads) == 2
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            assert "reminder_pending_due" in str(cursor.fetchall()), sql


def test_every_index_that_takes_an_entry_for_each_send_is_one_something_reads() -> None:
    """The indexes written by every update of a reminder (sent, nudged) and of a notification
    (its e-mail sent): the primary keys, the one-per-slot key that makes planning idempotent,
    and the bell's per-user lookup. A foreign key's default index on the reminder's patient
    (the unique key leads with it) or the notification's flag (null on nearly every one) would
    double the entries written by a send for nothing."""
    needs_postgresql()
    every_row = {
        table: sorted(name for name, where in _indexes(table).items() if where is None)
        for table in (Reminder._meta.db_table, Notification._meta.db_table)
    }
    assert every_row == {
        "patients_reminder": ["one_reminder_per_slot", "patients_reminder_pkey"],
        "patients_notification": [
            "patients_notification_pkey",
            "patients_notification_user_id_3c767d8d",
        ],
    }
    assert _indexes(Notification._meta.db_table)["notification_flag"] == "(flag_id IS NOT NULL)"


def test_a_retention_run_reads_old_rows_by_a_range_of_their_primary_key() -> None:
    """The hourly retention job needs no index of its own: old reminders and notifications
    are a range of their time-ordered keys (rehab/retention.py), and whether a notification's
    flag is still open is looked up by the flags' keys, so no statement of a run reads a
    whole table. With sequential scans off, a plan that can only scan one still shows it."""
    needs_postgresql()
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805)
    long_ago = timezone.now() - timedelta(days=200)
    with time_machine.travel(long_ago, tick=False):
        flag = Flag.objects.create(
            patient=patient, rule="red_flag:pop", episode="e", kind="red_flag", severity=3
        )
        about_flag = Notification.objects.create(
            user=patient.user, kind="red_flag", title="t", flag=flag
        )
        Notification.objects.create(user=patient.user, kind="reminder:session", title="t")
    assert {r.pk.version for r in Reminder.objects.all()} == {7}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as ran:
        assert prune_reminders(now=timezone.now()).deleted == 0
        assert prune_notifications(now=timezone.now()).deleted == 1
    assert list(Notification.objects.filter(created_at__lt=long_ago + timedelta(days=1))) == [
        about_flag
    ]
    reads = [q["sql"] for q in ran if q["sql"].startswith(("SELECT", "DELETE"))]
    assert any(Flag._meta.db_table in sql for sql in reads)  # the flag looked up
    assert any(sql.startswith("DELETE") for sql in reads)
    with connection.cursor() as cursor:
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            if 'FROM "patients_reminder"' in sql:
                assert "patients_reminder_pkey" in plan, plan
                assert "Index Cond: (id " in plan, plan
