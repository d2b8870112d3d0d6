"""Query-string filters for the API lists (django-filter): date ranges as `<field>_after` /
`<field>_before` (inclusive, YYYY-MM-DD) and status-like choices."""

from __future__ import annotations

import django_filters  # type: ignore[import-untyped]

from patients.models import CheckIn, SessionLog
from rehab.filters import StrictFilterSet


class SessionLogFilter(StrictFilterSet):
    local_date = django_filters.DateFromToRangeFilter()
    status = django_filters.ChoiceFilter(choices=SessionLog.Status.choices)

    class Meta:
        model = SessionLog
        fields = ["local_date", "status"]


class CheckInFilter(StrictFilterSet):
    local_date = django_filters.DateFromToRangeFilter()

    class Meta:
        model = CheckIn
        fields = ["local_date"]
