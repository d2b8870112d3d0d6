"""Filters for a patient's questionnaire responses."""

from __future__ import annotations

import django_filters  # type: ignore[import-untyped]

from patients.models import QuestionnaireResponse
from programmes.vocab import Questionnaire
from rehab.filters import StrictFilterSet


class QuestionnaireResponseFilter(StrictFilterSet):
    local_date = django_filters.DateFromToRangeFilter()
    questionnaire = django_filters.ChoiceFilter(choices=Questionnaire.choices)

    class Meta:
        model = QuestionnaireResponse
        fields = ["local_date", "questionnaire"]
