"""Filters for the catalogue lists (exercises, conditions)."""

from __future__ import annotations

import django_filters  # type: ignore[import-untyped]

from programmes.models import Condition, Exercise
from programmes.vocab import Category, HomeStatus
from rehab.filters import StrictFilterSet


class ExerciseFilter(StrictFilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Exercise
        fields = ["category"]


class ConditionFilter(StrictFilterSet):
    home_status = django_filters.ChoiceFilter(choices=HomeStatus.choices)

    class Meta:
        model = Condition
        fields = ["home_status"]
