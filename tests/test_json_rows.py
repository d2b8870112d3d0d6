"""Rows read as JSON and made back into model instances (rehab/json_rows.py): the instance is
the one Django would make from the same columns, deferred fields and signals included."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model, signals
from django.test.utils import isolate_apps

from patients.models import Flag
from patients.people.selectors import FLAG_FIELDS
from rehab.json_rows import json_list, json_rows, model_from_json, models_from_json, row_json
from tests import factories

pytestmark = pytest.mark.django_db


def _read_as_json(flag: Flag, fields: tuple[str, ...] | None) -> dict[str, Any]:
    """The flag's row as the caseload reads it: in a JSON array of its patient's flags."""
    from patients.models import Patient

    flags = Flag.objects.filter(patient=flag.patient)
    patient = (
        Patient.objects.filter(pk=flag.patient_id)
        .annotate(rows=json_rows(flags, "patient", row_json(Flag, fields=fields)))
        .get()
    )
    return json_list(patient.rows)[0]  # type: ignore[attr-defined]


@pytest.mark.parametrize("fields", [FLAG_FIELDS, None], ids=["some columns", "every column"])
def test_an_instance_made_from_json_is_the_one_django_makes(fields: Any) -> None:
    flag = factories.make_flag(factories.PatientFactory(), evidence={"pain": [6, 7]})
    made = model_from_json(Flag, _read_as_json(flag, fields), "default", fields)
    loaded = Flag.objects.only(*(fields or [f.attname for f in Flag._meta.concrete_fields])).get(
        pk=flag.pk
    )
    assert made == loaded
    assert made.__dict__.keys() == loaded.__dict__.keys()
    for name in loaded.__dict__.keys() - {"_state"}:
        assert getattr(made, name) == getattr(loaded, name), name
    assert made.get_deferred_fields() == loaded.get_deferred_fields()
    assert (made._state.db, made._state.adding) == ("default", False)


def test_many_rows_at_once_make_the_instances_django_makes_in_their_order() -> None:
    flags = [factories.make_flag(factories.PatientFactory()) for _ in range(3)]
    rows = [_read_as_json(flag, FLAG_FIELDS) for flag in reversed(flags)]
    made = models_from_json(Flag, rows, "default", FLAG_FIELDS)
    loaded = Flag.objects.only(*FLAG_FIELDS).in_bulk([flag.pk for flag in flags])
    assert [m.pk for m in made] == [flag.pk for flag in reversed(flags)]
    for one in made:
        for name in loaded[one.pk].__dict__.keys() - {"_state"}:
            assert getattr(one, name) == getattr(loaded[one.pk], name), name
            assert type(getattr(one, name)) is type(getattr(loaded[one.pk], name)), name


def test_a_deferred_column_is_read_when_asked_for(django_assert_num_queries: Any) -> None:
    flag = factories.make_flag(factories.PatientFactory(), evidence={"pain": [6, 7]})
    made = model_from_json(Flag, _read_as_json(flag, FLAG_FIELDS), "default", FLAG_FIELDS)
    with django_assert_num_queries(1):
        assert made.evidence == {"pain": [6, 7]}


def test_receivers_of_pre_init_and_post_init_still_hear_of_each_instance() -> None:
    flag = factories.make_flag(factories.PatientFactory())
    heard = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        heard.append(sender)

    signals.pre_init.connect(receiver, sender=Flag)
    signals.post_init.connect(receiver, sender=Flag)
    try:
        made = model_from_json(Flag, _read_as_json(flag, FLAG_FIELDS), "default", FLAG_FIELDS)
    finally:
        signals.pre_init.disconnect(receiver, sender=Flag)
        signals.post_init.disconnect(receiver, sender=Flag)
    assert heard == [Flag, Flag]
    assert made == flag


@pytest.fixture
def inits(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """The models whose Model.__init__ runs from here on."""
    made: list[type] = []
    real = Model.__init__

    def counting(self: Model, *args: Any, **kwargs: Any) -> None:
        made.append(type(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Model, "__init__", counting)
    return made


def test_an_instance_is_made_without_walking_the_models_fields(inits: list[type]) -> None:
    flag = factories.make_flag(factories.PatientFactory())
    row = _read_as_json(flag, FLAG_FIELDS)
    inits.clear()
    made = model_from_json(Flag, row, "default", FLAG_FIELDS)
    assert inits == []  # what this module is for (issue 14): no Model.__init__
    assert made == flag


def test_a_model_of_its_own_making_goes_through_from_db(inits: list[type]) -> None:
    class Mixin:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.mixed_in = True
            super().__init__(*args, **kwargs)

    with isolate_apps("patients"):  # kept out of the project's registry

        class MixedFlag(Flag, Mixin):  # type: ignore[misc]
            class Meta:
                proxy = True
                app_label = "patients"

    flag = factories.make_flag(factories.PatientFactory())
    row = _read_as_json(flag, FLAG_FIELDS)
    inits.clear()
    made = model_from_json(MixedFlag, row, "default", FLAG_FIELDS)
    assert made.mixed_in is True  # type: ignore[attr-defined]
    assert inits == [MixedFlag]
