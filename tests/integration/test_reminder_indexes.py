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
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Notification, Reminder
from patients.reminders.selectors import delivery_backlog
from patients.reminders.services import due_reminders, nudges_due, plan_reminders
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
