"""Query-string filters for the API lists (django-filter): date ranges as `<field>_after` /
`<field>_before` (inclusive, YYYY-MM-DD) and status-like choices."""

from __future__ import annotations

from typing import Any

import django_filters  # type: ignore[import-untyped]
from django import forms

from patients.models import CheckIn, Flag, Notification, QuestionnaireResponse, SessionLog
from programmes.models import Condition, Exercise
from programmes.vocab import Category, HomeStatus, Questionnaire


class StrictFilterSet(django_filters.FilterSet):
    """A query parameter that is given must hold a usable value: `?unread=maybe` or
    `?patient=` is a 400 naming the parameter, never silently ignored."""

    def get_form_class(self) -> type[forms.Form]:
        base = super().get_form_class()

        class StrictForm(base):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                for name, field in self.fields.items():
                    suffixes = getattr(field.widget, "suffixes", None)
                    keys = [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]
                    for key in keys:
                        if key not in self.data or name in self.errors:
                            continue
                        blank = not str(self.data.get(key, "")).strip()
                        if blank or (not suffixes and cleaned.get(name) in (None, "", [])):
                            self.add_error(name, f"Give a valid value for {key} or leave it out.")
                return cleaned

        return StrictForm


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


class QuestionnaireResponseFilter(StrictFilterSet):
    local_date = django_filters.DateFromToRangeFilter()
    questionnaire = django_filters.ChoiceFilter(choices=Questionnaire.choices)

    class Meta:
        model = QuestionnaireResponse
        fields = ["local_date", "questionnaire"]


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


class FlagFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Flag.Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Flag.Kind.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Flag.Severity.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id")
    created = django_filters.DateFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Flag
        fields = ["status", "kind", "severity", "patient"]


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
