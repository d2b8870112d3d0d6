"""Querysets compiled once per process and run with fresh parameters: for the hottest reads
(issue 14), where building the SQL of a queryset with subqueries, and on PostgreSQL parsing
and planning it, cost several times what the database takes to run it.

    PROGRAMME = PreparedQuery(
        lambda: Programme.objects.filter(patient_id=Param("patient", UUIDField()))[:1]
    )
    programmes = PROGRAMME.fetch(patient=patient.pk)  # model instances, as list(queryset)

The queryset is built and compiled on first use for each database (alias and vendor), with a
`Param` where a value changes between calls; each call binds the values (adapted by the
param's field, as Django adapts a filter value) and turns the rows into model instances the
way `QuerySet.__iter__` does: the same SQL, the same instances, select_related and
annotations included (made by `rehab.json_rows.maker`). The query goes through Django's
cursor wrapper, so it is logged and counted like any other.

On PostgreSQL the statement is sent with native `$n` placeholders (psycopg's RawCursor):
psycopg re-parses a longer statement's `%s` placeholders at every call (it caches only
statements under 4 kB), and with server-side binding it prepares a statement run five times
on a connection, so that later runs skip PostgreSQL's parsing and planning too (persistent
connections: CONN_MAX_AGE).

`statement(sql)` gives the same cursor for one write run once per item of a batch (an
outbox marking each copy sent, patients/notifications/services.py).

Not for querysets with prefetch_related (run those apart) or whose SQL depends on a value
(an `__in` list: its length is in the SQL). Slice with `fetch(limit=, offset=)`: a sliced
queryset's bounds are written into its SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from threading import Lock
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

from rehab.json_rows import maker

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Slot:
    """A parameter's place in the compiled SQL's parameter list."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A value bound at each call of a `PreparedQuery` (by name); `output_field` adapts it."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [_Slot(self.name, self.output_field)]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    paged_sql: str  # with LIMIT and OFFSET parameters after the query's own
    params: list[Any]
    compiler: Any
    converters: Any
    populators: list[Any]
    init_list: list[str]
    fields: tuple[int, int]
    annotations: dict[str, int]


_PLACEHOLDER = re.compile(r"%%|%s")


def _numbered(sql: str) -> str:
    """Django's `%s` placeholders as PostgreSQL's `$1`, `$2`, … (and `%%` as `%`)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


@cache
def _raw_cursor_class() -> Any:
    from psycopg import RawCursor

    class LoggedRawCursor(RawCursor):
        """psycopg keeps the statement for Django's query log (`cursor._query`) except when
        it runs a prepared one: keep it then too."""

        def _send_query_prepared(self, name: Any, pgq: Any, **kwargs: Any) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)

    return LoggedRawCursor


def _cursor(connection: Any) -> Any:
    """Django's cursor wrapper around, on PostgreSQL, a psycopg RawCursor ($n placeholders,
    server-side binding: prepared after a few runs); elsewhere the usual cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID  # type: ignore[attr-defined]
    from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]
        register_tzloader,
    )
    from psycopg.pq import Format

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = _raw_cursor_class()(connection.connection)
        # As Django's own create_cursor: the cursor's time zone when the connection's differs.
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)


@contextmanager
def statement(sql: str, using: str = "default") -> Iterator[Callable[[list[Any]], int]]:
    """`run(params)` for one statement written with Django's `%s` placeholders, run once per
    item of a batch through one cursor (the one above: on PostgreSQL prepared once it has run
    five times on a connection), for a write whose parsing and planning cost more than the
    write itself. Logged and counted like any other query. `run` returns the rows changed."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        sql = _numbered_once(sql)
    with _cursor(connection) as cursor:

        def run(params: list[Any]) -> int:
            cursor.execute(sql, params)
            return int(cursor.rowcount)

        yield run


@cache
def _numbered_once(sql: str) -> str:
    return _numbered(sql)


class PreparedQuery(Generic[M]):
    def __init__(self, build: Callable[[], QuerySet[M]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = Lock()

    def _compile(self, using: str) -> _Compiled:
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiler = self._build().query.get_compiler(using=using)
                sql, params = compiler.as_sql()
                select, klass_info = compiler.select, compiler.klass_info
                start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
                if compiler.query.is_sliced:
                    raise ValueError("Slice with fetch(limit=, offset=), not the queryset.")
                paged = f"{sql} LIMIT %s OFFSET %s"
                postgresql = connection.vendor == "postgresql"
                compiled = _Compiled(
                    sql=_numbered(sql) if postgresql else sql,
                    paged_sql=_numbered(paged) if postgresql else paged,
                    params=list(params),
                    compiler=compiler,
                    converters=compiler.get_converters(
                        [s[0] for s in select[0 : compiler.col_count]]
                    ),
                    populators=get_related_populators(klass_info, select, using),
                    init_list=[f[0].target.attname for f in select[start:end]],
                    fields=(start, end),
                    annotations=dict(compiler.annotation_col_map or {}),
                )
                self._compiled[key] = compiled
        return compiled

    def fetch(
        self, using: str = "default", *, limit: int | None = None, offset: int = 0, **values: Any
    ) -> list[M]:
        """The rows as model instances, as `list(queryset)` would give them; with `limit`,
        as `list(queryset[offset:offset + limit])` (the bounds are parameters too)."""
        compiled = self._compile(using)
        connection = connections[using]
        params = [
            p.field.get_db_prep_value(values[p.name], connection, prepared=False)
            if isinstance(p, _Slot)
            else p
            for p in compiled.params
        ]
        sql = compiled.sql
        if limit is not None:
            sql, params = compiled.paged_sql, [*params, limit, offset]
        with _cursor(connection) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        start, end = compiled.fields
        make = maker(compiled.compiler.klass_info["model"], using)
        makers: dict[Any, Callable[[dict[str, Any]], Model]] = {}  # select_related's, by populator
        objects = []
        for row in rows:
            obj = make(dict(zip(compiled.init_list, row[start:end], strict=True)))
            for populator in compiled.populators:
                _populate(populator, row, obj, makers)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def _populate(
    populator: Any, row: Any, from_obj: Model, makers: dict[Any, Callable[[dict[str, Any]], Model]]
) -> None:
    """Django's RelatedPopulator.populate (5.2), the related instance made by `maker` (asked
    once per fetch for each populator, kept in `makers`)."""
    if populator.reorder_for_init:
        data = populator.reorder_for_init(row)
    else:
        data = row[populator.cols_start : populator.cols_end]
    obj = None
    if data[populator.pk_idx] is not None:
        make = makers.get(populator)
        if make is None:
            make = makers[populator] = maker(populator.model_cls, populator.db)
        obj = make(dict(zip(populator.init_list, data, strict=True)))
        for related in populator.related_populators:
            _populate(related, row, obj, makers)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)
