"""Rows read as JSON inside another statement: a queryset's related rows as one JSON array
column (`json_rows`), read back into model instances (`model_from_json`). On SQLite and
PostgreSQL alike; for reads that want one statement where a prefetch would take several."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, TypeVar

from django.db import connections
from django.db.models import (
    Aggregate,
    DateTimeField,
    F,
    Func,
    JSONField,
    Model,
    QuerySet,
    Subquery,
    TextField,
)
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


def row_json(model: type[Model], via: str = "") -> JSONObject:
    """A row of `model` (or of the row `via` names) as one JSON object of its columns (read
    back by `model_from_json`)."""
    prefix = f"{via}__" if via else ""
    return JSONObject(**{f.attname: F(prefix + f.attname) for f in model._meta.concrete_fields})


def model_from_json(model: type[M], data: dict[str, Any], db: str) -> M:
    """The model instance for a row read as JSON: each value back to its field's type."""
    names, values = [], []
    for f in model._meta.concrete_fields:
        value = data[f.attname]
        if isinstance(f, JSONField):
            # SQLite nests a JSON column as its text; PostgreSQL as JSON.
            sqlite_text = connections[db].vendor == "sqlite" and isinstance(value, str)
            value = json.loads(value) if sqlite_text else value
        elif isinstance(f, DateTimeField) and isinstance(value, str):
            parsed = parse_datetime(value)
            value = parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)
        else:
            value = f.to_python(value)
        names.append(f.attname)
        values.append(value)
    return model.from_db(db, names, values)


def json_rows(rows: QuerySet[Any], by: str, row: Any, nested: bool = False) -> Subquery:
    """The rows of `rows` (all with the same `by`) as one JSON array of `row`, or null;
    `nested` for an array inside another JSON value (`NestedJSONList`)."""
    agg = NestedJSONList(row) if nested else JSONList(row)
    return Subquery(rows.order_by().values(by).annotate(rows=agg).values("rows"))


def json_list(value: Any) -> list[Any]:
    """A JSON array read back: SQLite nests an inner JSON object as its text."""
    return [json.loads(v) if isinstance(v, str) else v for v in value or []]
