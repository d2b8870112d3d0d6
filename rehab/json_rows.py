"""Rows read as JSON inside another statement: a queryset's related rows as one JSON array
column (`json_rows`), read back into model instances (`model_from_json`). On SQLite and
PostgreSQL alike; for reads that want one statement where a prefetch would take several."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Aggregate, DateTimeField, F, JSONField, Model, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


class JSONList(Aggregate):
    """The rows' JSON objects as one JSON array: json_group_array on SQLite, jsonb_agg on
    PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)


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


def json_rows(rows: QuerySet[Any], by: str, row: Any) -> Subquery:
    """The rows of `rows` (all with the same `by`) as one JSON array of `row`, or null."""
    return Subquery(rows.order_by().values(by).annotate(rows=JSONList(row)).values("rows"))


def json_list(value: Any) -> list[Any]:
    """A JSON array read back: SQLite nests an inner JSON object as its text."""
    return [json.loads(v) if isinstance(v, str) else v for v in value or []]
