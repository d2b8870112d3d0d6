"""rehab.migration_operations: an index added without locking the table on PostgreSQL
(CREATE INDEX CONCURRENTLY, outside a transaction) and as a plain index elsewhere, and
dropped the same way when the migration is reversed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import NotSupportedError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from patients.models import SessionLog
from rehab.migration_operations import AddIndexWithoutLocking

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("patients", "0023_device")
AFTER = ("patients", "0024_session_patient_day")


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, SessionLog._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"]}


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def test_the_sessions_patient_and_day_index_comes_and_goes_with_its_migration() -> None:
    assert _indexes()["session_patient_day"] == ["patient_id", "local_date"]
    with CaptureQueriesContext(connection) as back:
        _migrate(BEFORE)
    try:
        assert "session_patient_day" not in _indexes()
    finally:
        with CaptureQueriesContext(connection) as ran:
            _migrate(AFTER)
    assert _indexes()["session_patient_day"] == ["patient_id", "local_date"]
    (create,) = [q["sql"] for q in ran if "CREATE INDEX" in q["sql"]]
    (drop,) = [q["sql"] for q in back if "DROP INDEX" in q["sql"]]
    # Writes go on while PostgreSQL builds or drops it; SQLite has no such thing.
    assert ("CONCURRENTLY" in create) == (connection.vendor == "postgresql")
    assert ("CONCURRENTLY" in drop) == (connection.vendor == "postgresql")


def test_the_operation_refuses_to_run_inside_a_transaction_on_any_database() -> None:
    """A migration using it must say `atomic = False`: caught on a laptop's SQLite as well
    as on PostgreSQL (where CREATE INDEX CONCURRENTLY would refuse), before anything runs."""
    operation = AddIndexWithoutLocking(
        model_name="sessionlog",
        index=models.Index(fields=["local_date"], name="session_day_probe"),
    )
    state = MigrationExecutor(connection).loader.project_state(AFTER)
    after = state.clone()
    operation.state_forwards("patients", after)
    editor = SimpleNamespace(connection=connection)  # nothing is ever asked of it
    with transaction.atomic():
        with pytest.raises(NotSupportedError):
            operation.database_forwards("patients", editor, state, after)
        with pytest.raises(NotSupportedError):
            operation.database_backwards("patients", editor, after, state)
