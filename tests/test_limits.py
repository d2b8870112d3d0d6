"""Issue 13: a number the web refuses, the API refuses too — one set of bounds (rehab.limits)
read by the forms and the serializers alike."""

from __future__ import annotations

from typing import Any

import pytest

from patients.activity.forms import SessionLogForm
from patients.activity.serializers import ExerciseDoneInput
from programmes.forms import DoseFields
from programmes.models import ProgrammeItem
from programmes.serializers import DoseInput
from rehab import limits
from tests import factories


def _bounds(field: Any) -> tuple[int, int]:
    return field.min_value, field.max_value


@pytest.mark.parametrize(
    ("name", "bounds"),
    [
        ("sets", limits.DOSE_SETS),
        ("reps", limits.DOSE_REPS),
        ("reps_max", limits.DOSE_REPS),
        ("hold_s", limits.DOSE_HOLD_S),
        ("times_per_day", limits.DOSE_TIMES_PER_DAY),
        ("days_per_week", limits.DOSE_DAYS_PER_WEEK),
    ],
)
def test_a_prescribed_dose_has_the_same_bounds_on_the_web_and_in_the_api(
    name: str, bounds: limits.Bounds
) -> None:
    web = DoseFields().fields[name]
    api = DoseInput().fields[name]
    assert _bounds(web) == _bounds(api) == (bounds.minimum, bounds.maximum)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "bounds"),
    [
        ("sets_done", limits.DONE_SETS),
        ("reps_done", limits.DONE_REPS),
        ("hold_s_done", limits.DONE_HOLD_S),
    ],
)
def test_a_logged_exercise_has_the_same_bounds_on_the_web_and_in_the_api(
    name: str, bounds: limits.Bounds
) -> None:
    programme = factories.prescribe(factories.PatientFactory())
    items = ProgrammeItem.objects.filter(phase__revision=programme.current_revision)
    form = SessionLogForm(items=list(items))
    web = [field for key, field in form.fields.items() if key.endswith(f"-{name}")]
    assert web
    api = ExerciseDoneInput().fields[name]
    for field in web:
        assert _bounds(field) == _bounds(api) == (bounds.minimum, bounds.maximum)
