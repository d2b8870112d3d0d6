"""Querysets compiled once and fetched with fresh parameters (rehab/prepared.py): the same rows
as the queryset, as the same model instances (deferred fields, select_related through a
nullable key and its reverse cache, annotations)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db.models import F, Model, UUIDField

from patients.models import Flag
from rehab.prepared import Param, PreparedQuery
from tests import factories

pytestmark = pytest.mark.django_db


def flags_of(patient: Any) -> Any:
    return (
        Flag.objects.filter(patient_id=patient)
        .select_related("patient__user", "programme")
        .only("kind", "severity", "patient__time_zone", "patient__user__username", "programme")
        .annotate(patient_zone=F("patient__time_zone"))
        .order_by("severity", "kind")
    )


FLAGS = PreparedQuery(lambda: flags_of(Param("patient", UUIDField())))


def _state(instance: Any, depth: int = 2) -> dict[str, Any]:
    """What tells two instances apart: every attribute but the state object, the deferred
    fields, where it was read from, and the related instances it holds (to `depth`; the
    reverse caches point back)."""
    cached = instance._state.fields_cache
    return {
        "attributes": {k: v for k, v in instance.__dict__.items() if k != "_state"},
        "deferred": instance.get_deferred_fields(),
        "db": (instance._state.db, instance._state.adding),
        "related": {
            name: _state(obj, depth - 1) if obj is not None and depth else obj
            for name, obj in cached.items()
        },
    }


def test_fetched_instances_are_the_querysets_own() -> None:
    patient = factories.PatientFactory()
    programme = factories.prescribe(patient)
    factories.make_flag(patient, severity=Flag.Severity.URGENT, programme=programme)
    factories.make_flag(patient, severity=Flag.Severity.REVIEW)  # no programme: None cached
    factories.make_flag(factories.PatientFactory())  # someone else's

    FLAGS.fetch(patient=patient.pk)  # compiled on first use
    with mock.patch.object(Model, "__init__", side_effect=AssertionError("Model.__init__")):
        fetched = FLAGS.fetch(patient=patient.pk)  # flags, patients and users: none through it
    expected = list(flags_of(patient.pk))
    assert [f.pk for f in fetched] == [f.pk for f in expected]
    assert [_state(f) for f in fetched] == [_state(f) for f in expected]
    review, urgent = fetched  # by severity
    assert urgent.programme == programme
    assert review.programme is None
    assert urgent.patient.user.username == patient.user.username
    assert urgent.patient_zone == patient.time_zone  # type: ignore[attr-defined]
    # The user cached on the patient, and the patient on the user (the reverse side).
    assert urgent.patient.user.patient is urgent.patient


def test_a_deferred_field_of_a_fetched_instance_is_read_when_asked_for(
    django_assert_num_queries: Any,
) -> None:
    patient = factories.PatientFactory()
    factories.make_flag(patient)
    flag = FLAGS.fetch(patient=patient.pk)[0]
    with django_assert_num_queries(1):
        assert flag.message == "Pain during exercise above 5/10."
