"""rehab.migration_operations: indexes added and dropped without locking the table on
PostgreSQL (CREATE and DROP INDEX CONCURRENTLY, outside a transaction) and plainly elsewhere,
and the other way when the migration is reversed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import NotSupportedError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from patients.models import Notification, Reminder, SessionLog
from rehab.migration_operations import (
    AddIndexWithoutLocking,
    DropFieldIndexWithoutLocking,
    RemoveIndexWithoutLocking,
)
from tests.integration.conftest import needs_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("patients", "0023_device")
AFTER = ("patients", "0025_reminder_partial_indexes")


def _indexes(model: Any = SessionLog) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"]}


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


# The indexes patients 0024 and 0025 add (and drop when reversed), and the ones 0025 drops.
ADDED = {
    (SessionLog, "session_patient_day"): ["patient_id", "local_date"],
    (Reminder, "reminder_pending_due"): ["due_at"],
    (Reminder, "reminder_nudge_owed"): ["due_at"],
    (Notification, "notification_flag"): ["flag_id"],
}
DROPPED = {
    (Reminder, "patients_re_status_31cb58_idx"): ["status", "due_at"],
    (Reminder, "patients_reminder_patient_id_7c651980"): ["patient_id"],
    (Notification, "patients_notification_flag_id_94c3a71d"): ["flag_id"],
}


def _present(wanted: dict[tuple[Any, str], list[str]]) -> dict[tuple[Any, str], list[str]]:
    return {(model, name): _indexes(model).get(name, []) for model, name in wanted}


def test_the_indexes_come_and_go_with_their_migrations_without_locking() -> None:
    absent: dict[tuple[Any, str], list[str]] = {key: [] for key in ADDED}
    assert _present(ADDED) == ADDED
    assert _present(DROPPED) == {key: [] for key in DROPPED}
    with CaptureQueriesContext(connection) as back:
        _migrate(BEFORE)
    try:
        assert _present(ADDED) == absent
        assert _present(DROPPED) == DROPPED
    finally:
        with CaptureQueriesContext(connection) as ran:
            _migrate(AFTER)
    assert _present(ADDED) == ADDED
    assert _present(DROPPED) == {key: [] for key in DROPPED}
    statements = [q["sql"] for q in [*ran, *back] if " INDEX " in q["sql"]]
    if connection.vendor != "postgresql":
        # SQLite has no such thing, and drops a foreign key's index by copying the table.
        assert not [sql for sql in statements if "CONCURRENTLY" in sql]
        return
    # Writes go on while PostgreSQL builds or drops each of them, once each way.
    assert all("CONCURRENTLY" in sql for sql in statements), statements
    assert len([s for s in statements if "CREATE INDEX" in s]) == len(ADDED) + len(DROPPED)
    assert len([s for s in statements if "DROP INDEX" in s]) == len(ADDED) + len(DROPPED)


OPERATIONS = {
    "add": lambda: AddIndexWithoutLocking(
        model_name="sessionlog",
        index=models.Index(fields=["local_date"], name="session_day_probe"),
    ),
    "remove": lambda: RemoveIndexWithoutLocking(
        model_name="sessionlog", name="session_patient_day"
    ),
    "drop a field's index": lambda: DropFieldIndexWithoutLocking(
        model_name="sessionlog",
        name="programme",
        field=models.ForeignKey(
            db_index=False,
            on_delete=models.PROTECT,
            related_name="session_logs",
            to="programmes.programme",
        ),
    ),
}


@pytest.mark.parametrize("kind", OPERATIONS)
def test_each_operation_refuses_to_run_inside_a_transaction_on_any_database(kind: str) -> None:
    """A migration using one must say `atomic = False`: caught on a laptop's SQLite as well
    as on PostgreSQL (where CREATE INDEX CONCURRENTLY would refuse), before anything runs."""
    operation = OPERATIONS[kind]()
    state = MigrationExecutor(connection).loader.project_state(AFTER)
    after = state.clone()
    operation.state_forwards("patients", after)
    editor = SimpleNamespace(connection=connection)  # nothing is ever asked of it
    with transaction.atomic():
        with pytest.raises(NotSupportedError):
            operation.database_forwards("patients", editor, state, after)
        with pytest.raises(NotSupportedError):
            operation.database_backwards("patients", editor, after, state)


@pytest.mark.integration
def test_a_migration_cut_short_on_postgresql_can_run_again() -> None:
    """0025 is recorded as applied only when all its steps are done. Run again after an
    interruption, an index it already built is kept (CREATE INDEX would fail: it exists),
    and one whose build was cut short (left INVALID) is dropped and built again."""
    needs_postgresql()
    loader = MigrationExecutor(connection).loader
    (add,) = [
        op
        for op in loader.get_migration(*AFTER).operations
        if getattr(op, "index", None) is not None and op.index.name == "reminder_pending_due"
    ]
    before, after = loader.project_state(BEFORE), loader.project_state(AFTER)
    with connection.schema_editor(atomic=False) as editor:
        with CaptureQueriesContext(connection) as ran:
            add.database_forwards("patients", editor, before, after)  # built already: kept
        assert not [q for q in ran if "CREATE INDEX" in q["sql"]]
        with connection.cursor() as cursor:  # as a cut-short CREATE INDEX CONCURRENTLY leaves it
            cursor.execute(
                "UPDATE pg_index SET indisvalid = false"
                " WHERE indexrelid = 'reminder_pending_due'::regclass"
            )
        add.database_forwards("patients", editor, before, after)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'reminder_pending_due'::regclass"
        )
        assert cursor.fetchone() == (True,)


def test_dropping_a_fields_index_refuses_any_other_change_to_the_field() -> None:
    """On PostgreSQL the operation only drops the index: a field changed otherwise as well
    would be changed in the migration state but not in the database."""
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    operation = DropFieldIndexWithoutLocking(
        model_name="reminder",
        name="patient",
        field=models.ForeignKey(
            db_index=False, null=True, on_delete=models.CASCADE, to="patients.patient"
        ),
    )
    with pytest.raises(ValueError, match="only turns off"):
        operation.state_forwards("patients", state.clone())
