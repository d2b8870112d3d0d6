"""Migration operations of our own: indexes added and dropped on PostgreSQL without blocking
writes to a table of millions of rows (CONCURRENTLY, outside a transaction), and plainly
elsewhere (SQLite, on a laptop). A migration using them must be `atomic = False`; they refuse
to run inside a transaction on every database, so one that forgot fails on a laptop too."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    NotInTransactionMixin,
    RemoveIndexConcurrently,
)
from django.db.migrations.operations import AddIndex, AlterField, RemoveIndex


class _WithoutLocking:
    """`direction` done by `concurrent` on PostgreSQL, by `plain` elsewhere."""

    concurrent: type[Any]
    plain: type[Any]

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run("database_forwards", app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run("database_backwards", app_label, schema_editor, *args)

    def _run(self, direction: str, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._ensure_not_in_transaction(schema_editor)  # type: ignore[attr-defined]
        concurrently = schema_editor.connection.vendor == "postgresql"
        done_by = self.concurrent if concurrently else self.plain
        getattr(done_by, direction)(self, app_label, schema_editor, *args)


class AddIndexWithoutLocking(_WithoutLocking, AddIndexConcurrently):
    """An index built without blocking writes on PostgreSQL (CREATE INDEX CONCURRENTLY: a
    table of millions of rows goes on taking them while it builds), as a plain CREATE INDEX
    elsewhere."""

    concurrent, plain = AddIndexConcurrently, AddIndex

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name}, without locking writes"

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        """On PostgreSQL, safe to run again after an interrupted migration (which is recorded
        as applied only once all its operations are done): an index it already built is
        kept, and one it left `INVALID` (its build cut short) is dropped and built again."""
        if schema_editor.connection.vendor == "postgresql":
            self._ensure_not_in_transaction(schema_editor)
            valid = _index_is_valid(schema_editor, self.index.name)
            if valid:
                return
            if valid is not None:
                name = schema_editor.quote_name(self.index.name)
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        super().database_forwards(app_label, schema_editor, *args)


def _index_is_valid(schema_editor: Any, name: str) -> bool | None:
    """Whether the index `name` (on the search path) is valid; None if there is none."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
            [schema_editor.quote_name(name)],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


class RemoveIndexWithoutLocking(_WithoutLocking, RemoveIndexConcurrently):
    """An index dropped without blocking writes on PostgreSQL (DROP INDEX CONCURRENTLY waits
    for the transactions using it instead of locking the table), plainly elsewhere."""

    concurrent, plain = RemoveIndexConcurrently, RemoveIndex

    def describe(self) -> str:
        return f"Remove index {self.name} from {self.model_name}, without locking writes"


class DropFieldIndexWithoutLocking(NotInTransactionMixin, AlterField):
    """A field's own index (`db_index`, on by default for a foreign key) turned off: the
    field's new definition must differ from the old only by `db_index=False`. On PostgreSQL
    the index is dropped (and, reversed, built) CONCURRENTLY; elsewhere as AlterField does."""

    def describe(self) -> str:
        return f"Drop the index of {self.model_name}.{self.name}, without locking writes"

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Refuses a field changed in any other way: on PostgreSQL only the index changes."""
        old = state.models[app_label, self.model_name_lower].fields[self.name]
        if _without_index(old) != _without_index(self.field) or not old.db_index:
            raise ValueError(
                f"{self.model_name}.{self.name}: {type(self).__name__} only turns off a "
                "field's own index (db_index=False); change anything else with AlterField."
            )
        super().state_forwards(app_label, state)

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(app_label, schema_editor, *args, drop=True)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(app_label, schema_editor, *args, drop=False)

    def _run(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any, *, drop: bool
    ) -> None:
        self._ensure_not_in_transaction(schema_editor)
        direction = "database_forwards" if drop else "database_backwards"
        if schema_editor.connection.vendor != "postgresql":
            getattr(AlterField, direction)(self, app_label, schema_editor, from_state, to_state)
            return
        # The model on the side where the field has its index.
        model = (from_state if drop else to_state).apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        name = schema_editor._create_index_name(model._meta.db_table, [field.column])
        valid = _index_is_valid(schema_editor, name)
        if drop or valid is False:  # dropped, or (reversed) left INVALID by a build cut short
            schema_editor.execute(schema_editor._delete_index_sql(model, name, concurrently=True))
        if not drop and not valid:  # reversed: built unless a run cut short built it already
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[field], concurrently=True)
            )


def _without_index(field: Any) -> tuple[Any, ...]:
    """A field's definition, its `db_index` aside."""
    _, path, args, kwargs = field.deconstruct()
    kwargs.pop("db_index", None)
    return path, args, kwargs
