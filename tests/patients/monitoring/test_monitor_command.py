"""`manage.py monitor`: run the one monitoring pipeline now, for everyone or one patient."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from patients.activity.services import ExerciseDone, record_session
from patients.models import Flag, Patient
from programmes.selectors import current_phase_items
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _painful_session(patient: Patient) -> None:
    programme = patient.programmes.get(status="active")
    item = current_phase_items(programme)[0]
    record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        slot=1,
        logged_at=NOW,
        exercises=[ExerciseDone(item.key, pain_during_nrs=8)],
        now=timezone.now(),
    )


def _monitor(*args: str) -> str:
    out = io.StringIO()
    call_command("monitor", *args, stdout=out)
    return out.getvalue()


def test_monitor_raises_then_leaves_alone_and_reports_the_counts(patient: Patient) -> None:
    factories.prescribe(patient, started_on=NOW.date() - timedelta(days=3))
    _painful_session(patient)

    first = _monitor("--now", NOW.isoformat())
    raised = Flag.objects.count()
    second = _monitor("--now", NOW.isoformat())

    assert raised >= 1
    assert f"{raised} raised, 0 updated, 0 left alone" in first
    assert f"0 raised, 0 updated, {raised} left alone" in second
    assert "1 programme" in first


def test_monitor_one_patient_evaluates_only_them(therapist: Any, patient: Patient) -> None:
    other = factories.PatientFactory(therapist=therapist)
    for who in (patient, other):
        factories.prescribe(who, started_on=NOW.date() - timedelta(days=3))
        _painful_session(who)

    output = _monitor("--patient", str(patient.pk), "--now", "2026-11-20T12:00:00Z")

    assert "1 programme" in output
    assert set(Flag.objects.values_list("patient_id", flat=True)) == {patient.pk}


def test_monitor_a_patient_without_a_programme_evaluates_nothing(patient: Patient) -> None:
    output = _monitor("--patient", str(patient.pk))
    assert "no active programme" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patient", "not-a-uuid"], "not a valid patient id"),
        (["--patient", "00000000-0000-0000-0000-000000000000"], "No patient"),
        (["--now", "yesterday"], "not an ISO-8601"),
        (["--now", "2026-11-20T12:00:00"], "UTC offset"),
    ],
)
def test_monitor_refuses_bad_input_with_status_2(
    patient: Patient, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as error:
        _monitor(*args)
    assert error.value.returncode == 2
    assert message in str(error.value)
