"""Migration operations of our own."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexWithoutLocking(AddIndexConcurrently):
    """An index built without blocking writes on PostgreSQL (CREATE INDEX CONCURRENTLY: a
    table of millions of rows goes on taking them while it builds), as a plain CREATE INDEX
    elsewhere (SQLite, on a laptop). Its migration must be `atomic = False`."""

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name}, without locking writes"

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run("database_forwards", app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run("database_backwards", app_label, schema_editor, *args)

    def _run(self, direction: str, app_label: str, schema_editor: Any, *args: Any) -> None:
        """`direction` done concurrently on PostgreSQL, plainly elsewhere. Refused inside a
        transaction everywhere, so a migration that forgot `atomic = False` fails on a
        laptop too."""
        self._ensure_not_in_transaction(schema_editor)
        concurrently = schema_editor.connection.vendor == "postgresql"
        done_by = AddIndexConcurrently if concurrently else AddIndex
        getattr(done_by, direction)(self, app_label, schema_editor, *args)
