"""Small helpers the apps share."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404


def get_or_404(queryset: QuerySet[Any], pk: uuid.UUID | str) -> Any:
    """The row with `pk` in `queryset` (already narrowed to what the caller may see), else
    Http404 — also for a malformed id, so a bad id and someone else's id look the same."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise Http404("Not found.") from None
