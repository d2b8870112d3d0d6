"""The audit trail is append-only in the database too, not only in the ORM and the admin.

PostgreSQL: a row trigger refuses UPDATE and DELETE on auditlog_logentry (TRUNCATE, which only
the database owner can run, is left alone: the test runner's flush uses it).
SQLite (laptops, demo): a trigger refuses UPDATE; DELETE is refused by the ORM and the admin
(the test runner's flush deletes rows there)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION rehab_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the audit trail is append-only (' || TG_OP || ' refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditlog_logentry_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION rehab_audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS rehab_audit_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER auditlog_logentry_append_only BEFORE UPDATE ON auditlog_logentry
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only (UPDATE refused)');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS auditlog_logentry_append_only;"


def _run(sql: dict[str, str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        statement = sql.get(schema_editor.connection.vendor)
        if statement:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("rehab", "0001_idempotency_key"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
