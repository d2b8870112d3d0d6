"""Rows read as JSON inside another statement: a queryset's related rows as one JSON array
column (`json_rows`), read back into model instances (`model_from_json`). On SQLite and
PostgreSQL alike; for reads that want one statement where a prefetch would take several."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC
from functools import cache, partial
from typing import Any, TypeVar
from uuid import UUID

from django.db import connections
from django.db.models import (
    Aggregate,
    CharField,
    DateTimeField,
    F,
    Field,
    ForeignKey,
    Func,
    IntegerField,
    JSONField,
    Model,
    QuerySet,
    Subquery,
    TextField,
    UUIDField,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.functions import Cast, JSONObject
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


class JSONList(Aggregate):
    """The rows' JSON objects as one JSON array: json_group_array on SQLite, jsonb_agg on
    PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)


class NestedJSONList(JSONList):
    """JSONList for an array nested in another JSON value: PostgreSQL's plain JSON_AGG (of
    JSON_BUILD_OBJECT rows, `NestedJSONObject`) builds it several times faster than JSONB;
    the outer JSONB value converts it once. Not for a column of its own (Django reads JSONB)."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_AGG", **extra)


class NestedJSONObject(JSONObject):
    """JSONObject as plain JSON on PostgreSQL, for use inside `NestedJSONList`."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The keys cast to text, as Django's JSONObject does (a bound key has no type).
        copy = self.copy()
        copy.set_source_expressions(
            [
                Cast(expression, TextField()) if index % 2 == 0 else expression
                for index, expression in enumerate(copy.get_source_expressions())
            ]
        )
        return Func.as_sql(copy, compiler, connection, function="JSON_BUILD_OBJECT", **extra)


def row_json(
    model: type[Model], via: str = "", fields: tuple[str, ...] | None = None
) -> JSONObject:
    """A row of `model` (or of the row `via` names) as one JSON object of its columns, or of
    only `fields` (column names; read back by `model_from_json` with the same `fields`)."""
    prefix = f"{via}__" if via else ""
    names = fields or [f.attname for f in model._meta.concrete_fields]
    return JSONObject(**{name: F(prefix + name) for name in names})


def model_from_json(
    model: type[M], data: dict[str, Any], db: str, fields: tuple[str, ...] | None = None
) -> M:
    """The model instance for a row read as JSON: each value back to its field's type. With
    `fields` (as given to `row_json`), an instance with only those loaded: reading another
    field costs a query, as with `QuerySet.only`."""
    return models_from_json(model, [data], db, fields)[0]


def models_from_json(
    model: type[M], rows: Iterable[dict[str, Any]], db: str, fields: tuple[str, ...] | None = None
) -> list[M]:
    """`model_from_json` for many rows of one model: what to do with each column, and how an
    instance is made, worked out once for all of them (a caseload page reads ~130 flags)."""
    converters = _converters(model, connections[db].vendor, fields)
    make = maker(model, db)
    return [
        make({name: data[name] if c is None else c(data[name]) for name, c in converters})
        for data in rows
    ]


def maker(model: type[M], db: str) -> Callable[[dict[str, Any]], M]:
    """What makes `model.from_db(db, names, values)` of a row's columns by attname: the same
    instance (the other fields deferred), made without walking every field of the model in
    __init__ where nothing else can tell the difference (a caseload page makes several
    hundred, issue 14). Ask once per read, not per row: whether anything listens to the
    model's init signals costs more than making the instance."""
    return partial(_made if _plain(model) else _from_db, model, db)


def _from_db(model: type[M], db: str, values: dict[str, Any]) -> M:
    return model.from_db(db, list(values), list(values.values()))


def _made(model: type[M], db: str, values: dict[str, Any]) -> M:
    """What `from_db` makes of a row, for a model `_plain` says Django makes as any other."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, db
    instance.__dict__.update(values)
    return instance


def _plain(model: type[Model]) -> bool:
    """Whether an instance of `model` is made as Django makes any: its own from_db and
    __init__, and no receiver of pre_init or post_init (those may be connected at any time)."""
    return (
        _django_init(model)
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )


@cache
def _django_init(model: type[Model]) -> bool:
    """No class of `model` makes or sets up an instance its own way: from_db, __init__ (a
    mixin's runs from Model.__init__) and __setattr__ are Django's."""
    own = (c for c in model.__mro__ if c not in (Model, object) and "__init__" in vars(c))
    return (
        model.from_db.__func__ is Model.from_db.__func__  # type: ignore[attr-defined]
        and model.__setattr__ is object.__setattr__
        and next(own, None) is None
    )


# Columns whose JSON value is already the Python value: a JSON object of the row holds a
# text column as a string, an integer column as an integer, or null.
_AS_READ = (CharField, TextField, IntegerField)


@cache
def _converters(
    model: type[Model], vendor: str, fields: tuple[str, ...] | None
) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Per column of `model` (or of `fields`): its name and what turns its JSON value into the
    field's type (None: nothing to do). Worked out once per model, vendor and fields: a page
    of rows asked each field what to do for every value (issue 14)."""
    return tuple(
        (f.attname, _converter(f, vendor))
        for f in model._meta.concrete_fields
        if fields is None or f.attname in fields
    )


def _converter(field: Field[Any, Any], vendor: str) -> Callable[[Any], Any] | None:
    if isinstance(field, JSONField):
        # SQLite nests a JSON column as its text; PostgreSQL as JSON.
        return _json_text if vendor == "sqlite" else None
    if isinstance(field, DateTimeField):
        return partial(_datetime, field)
    if isinstance(field.target_field if isinstance(field, ForeignKey) else field, UUIDField):
        return _uuid  # a key: to_python through the relation to the UUIDField takes 3 calls
    if isinstance(field, _AS_READ):
        return None  # what to_python would return for a JSON string, integer or null
    return field.to_python


def _uuid(value: Any) -> Any:
    """A UUID column's JSON value (with dashes from PostgreSQL, 32 hex digits from SQLite),
    as UUIDField.to_python reads it."""
    return UUID(value) if isinstance(value, str) else value


def _json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _datetime(field: DateTimeField, value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return field.to_python(value)


def json_rows(rows: QuerySet[Any], by: str, row: Any, nested: bool = False) -> Subquery:
    """The rows of `rows` (all with the same `by`) as one JSON array of `row`, or null;
    `nested` for an array inside another JSON value (`NestedJSONList`)."""
    agg = NestedJSONList(row) if nested else JSONList(row)
    return Subquery(rows.order_by().values(by).annotate(rows=agg).values("rows"))


def json_list(value: Any) -> list[Any]:
    """A JSON array read back: SQLite nests an inner JSON object as its text."""
    return [json.loads(v) if isinstance(v, str) else v for v in value or []]
