"""Filters for a therapist's list of flags."""

from __future__ import annotations

import django_filters  # type: ignore[import-untyped]

from patients.models import Flag
from rehab.filters import StrictFilterSet


class FlagFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Flag.Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Flag.Kind.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Flag.Severity.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id")
    created = django_filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Flag
        fields = ["status", "kind", "severity", "patient"]
