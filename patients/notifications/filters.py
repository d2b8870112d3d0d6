"""Filters for a user's notifications."""

from __future__ import annotations

import django_filters  # type: ignore[import-untyped]

from patients.models import Notification
from rehab.filters import StrictFilterSet


class NotificationFilter(StrictFilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label="Only unread (true) or read (false).",
        widget=django_filters.widgets.BooleanWidget(),
    )
    created = django_filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
