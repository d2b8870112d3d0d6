"""Querysets compiled once per process and run with fresh parameters: for the hottest reads
(issue 14), where building the SQL of a queryset with subqueries costs several times what the
database takes to answer it.

    PROGRAMME = PreparedQuery(
        lambda: Programme.objects.filter(patient=Param("patient", UUIDField()))[:1]
    )
    programmes = PROGRAMME.fetch(patient=patient.pk)  # model instances, as list(queryset)

The queryset is built and compiled on first use for each database (alias and vendor), with a
`Param` where a value changes between calls; each call then binds the values (adapted by the
param's field, as Django adapts a filter value) and turns the rows into model instances the
way `QuerySet.__iter__` does: the same SQL, the same instances, select_related and
annotations included. Not for querysets with prefetch_related (run those apart) or whose SQL
depends on a value (an `__in` list: its length is in the SQL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

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
    params: list[Any]
    compiler: Any
    init_list: list[str]
    fields: tuple[int, int]
    annotations: dict[str, int]


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
                queryset = self._build()
                compiler = queryset.query.get_compiler(using=using)
                sql, params = compiler.as_sql()
                klass_info = compiler.klass_info
                start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
                compiled = _Compiled(
                    sql=sql,
                    params=list(params),
                    compiler=compiler,
                    init_list=[f[0].target.attname for f in compiler.select[start:end]],
                    fields=(start, end),
                    annotations=dict(compiler.annotation_col_map or {}),
                )
                self._compiled[key] = compiled
        return compiled

    def fetch(self, using: str = "default", **values: Any) -> list[M]:
        """The rows as model instances, as `list(queryset)` would give them."""
        compiled = self._compile(using)
        connection = connections[using]
        params = [
            p.field.get_db_prep_value(values[p.name], connection, prepared=False)
            if isinstance(p, _Slot)
            else p
            for p in compiled.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        compiler = compiled.compiler
        start, end = compiled.fields
        model = compiler.klass_info["model"]
        populators = get_related_populators(compiler.klass_info, compiler.select, using)
        objects = []
        for row in compiler.results_iter(results=[rows]):
            obj = model.from_db(using, compiled.init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
