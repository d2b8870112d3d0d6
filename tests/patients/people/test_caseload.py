"""The therapist's caseload, and who may see which patient."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404

from patients.models import Flag
from patients.people.selectors import caseload, caseload_patients, visible_patient
from tests import factories
from tests.factories import STARTED
from tests.patients.recording import FIRST_MORNING, morning_check_in, session_on

pytestmark = pytest.mark.django_db


def test_the_caseload_shows_week_phase_adherence_pain_and_flags_most_urgent_first(
    therapist: Any, colleague: Any
) -> None:
    quiet = factories.PatientFactory(therapist=therapist)
    worried = factories.PatientFactory(therapist=therapist)
    factories.PatientFactory(therapist=colleague)  # not on this caseload
    for patient in (quiet, worried):
        factories.prescribe(patient, started_on=STARTED)
    for day in range(7):
        session_on(quiet, STARTED + timedelta(days=day), slot=1)
        session_on(quiet, STARTED + timedelta(days=day), slot=2)
    morning_check_in(quiet, STARTED + timedelta(days=6), pain=2)
    red = Flag.objects.create(
        patient=worried,
        rule="red_flag:pop",
        episode="x",
        kind="red_flag",
        severity=3,
        message="m",
    )
    behind = Flag.objects.create(
        patient=worried,
        rule="not_adhering",
        episode="y",
        kind="not_adhering",
        severity=2,
        message="m",
    )

    rows = caseload(therapist, FIRST_MORNING + timedelta(days=6))

    assert [r.patient for r in rows] == [worried, quiet]
    assert [f.severity for f in rows[0].open_flags] == [3, 2]
    # As the API writes them, on every database (SQLite stores a UUID as 32 hex digits).
    assert [(f.id, f.created_at) for f in rows[0].open_flags] == [
        (str(red.pk), red.created_at),
        (str(behind.pk), behind.created_at),
    ]
    assert [f.get_kind_display() for f in rows[0].open_flags] == ["Red flag", "Not doing it"]
    by_patient = {r.patient: r for r in rows}
    assert by_patient[quiet].week == 1
    assert by_patient[quiet].phase.position == 1
    assert by_patient[quiet].adherence_7d == 100
    assert by_patient[worried].adherence_7d == 0
    assert by_patient[quiet].latest_pain_nrs == 2
    assert by_patient[worried].latest_pain_nrs is None


def test_a_caseload_page_makes_no_model_instance_of_its_flags(therapist: Any) -> None:
    """Issue 14: a page's open flags are plain values read with it (`CaseloadFlag`); making a
    `Flag` of each, and writing its id and time back out, cost more than the page's read."""
    from django.db.models.signals import post_init

    patient = factories.PatientFactory(therapist=therapist)
    for severity in (1, 2, 3):
        Flag.objects.create(
            patient=patient, rule=f"r{severity}", episode="e", kind="step_back", severity=severity
        )
    made: list[Any] = []

    def count(sender: Any, instance: Any, **kwargs: Any) -> None:
        made.append(instance)

    post_init.connect(count, sender=Flag)
    try:
        rows = caseload(therapist, FIRST_MORNING)
    finally:
        post_init.disconnect(count, sender=Flag)
    assert [f.severity for f in rows[0].open_flags] == [3, 2, 1]
    assert made == []


def test_resolved_flags_leave_the_caseload(therapist: Any, patient: Any) -> None:
    Flag.objects.create(
        patient=patient,
        rule="r",
        episode="e",
        kind="step_back",
        severity=2,
        message="m",
        status=Flag.Status.RESOLVED,
    )
    assert caseload(therapist, FIRST_MORNING)[0].open_flags == []


@pytest.mark.parametrize("size", [1, 20])
def test_the_caseload_takes_the_same_number_of_queries_for_1_or_20_patients(
    therapist: Any, size: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(size):
        patient = factories.PatientFactory(therapist=therapist)
        factories.prescribe(patient, started_on=STARTED)
        session_on(patient, STARTED)
        morning_check_in(patient, STARTED, pain=1)
    with django_assert_max_num_queries(7):
        assert len(caseload(therapist, FIRST_MORNING)) == size


def test_a_caseload_page_reads_in_one_statement(
    therapist: Any, django_assert_max_num_queries: Any
) -> None:
    """Issue 14: the page's patients with their programme, phase, doses, the week's done
    sessions and open flags in one statement; as the API pages it, and whole."""
    from patients.people.selectors import caseload_pages

    for n in range(3):
        patient = factories.PatientFactory(therapist=therapist)
        factories.prescribe(patient, started_on=STARTED)
        session_on(patient, STARTED)
        morning_check_in(patient, STARTED, pain=n)
    caseload(therapist, FIRST_MORNING)  # warm the compiled statement
    with django_assert_max_num_queries(1):
        page = caseload_pages(therapist, FIRST_MORNING)[:2]
        rows = caseload(therapist, FIRST_MORNING, patients=page)
    assert [r.phase.position for r in rows if r.phase] == [1, 1]
    assert all(r.adherence_7d is not None for r in rows)
    with django_assert_max_num_queries(1):
        assert len(caseload(therapist, FIRST_MORNING)) == 3


def test_a_therapist_sees_only_their_own_patients(
    therapist: Any, colleague: Any, patient: Any
) -> None:
    assert visible_patient(therapist.user, patient.pk) == patient
    with pytest.raises(Http404):
        visible_patient(colleague.user, patient.pk)


def test_a_patient_sees_only_themself(patient: Any, therapist: Any) -> None:
    other = factories.PatientFactory(therapist=therapist)
    assert visible_patient(patient.user, patient.pk) == patient
    with pytest.raises(Http404):
        visible_patient(patient.user, other.pk)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(uuid.uuid4())])
def test_a_malformed_or_unknown_id_is_not_found(therapist: Any, bad_id: str) -> None:
    with pytest.raises(Http404):
        visible_patient(therapist.user, bad_id)


def test_the_caseload_api_pages_in_the_database_at_the_same_query_cost(
    therapist: Any, django_assert_max_num_queries: Any
) -> None:
    """Issue 14: a long caseload is served a page at a time, each page costing what a short
    caseload costs, most urgent first across pages (the flagged patient sorts last by name)."""
    patients = []
    for n in range(12):
        patient = factories.PatientFactory(
            therapist=therapist, user__last_name=f"Z{n:02d}", user__first_name="P"
        )
        factories.prescribe(patient, started_on=STARTED)
        morning_check_in(patient, STARTED, pain=1)
        patients.append(patient)
    Flag.objects.create(
        patient=patients[-1], rule="r", episode="e", kind="step_back", severity=2, message="m"
    )
    client = factories.api_client_for(therapist.user)
    client.get("/api/v1/caseload/", {"page_size": 5})  # warm the token's refresh
    seen = []
    for page in (1, 2, 3):
        # 3 for authentication and the role, 2 for the page (count, patients), 5 for its rows.
        with django_assert_max_num_queries(10):
            body = client.get("/api/v1/caseload/", {"page_size": 5, "page": page}).json()
        assert body["count"] == 12
        seen += [row["patient"]["id"] for row in body["results"]]
    assert seen == [str(p.pk) for p in [patients[-1], *patients[:-1]]]


def test_a_page_of_the_caseload_builds_only_its_own_rows(therapist: Any) -> None:
    """The rows of a page are those of the whole caseload at the same places, and only those."""
    for n in range(6):
        patient = factories.PatientFactory(therapist=therapist, user__last_name=f"Y{n}")
        factories.prescribe(patient, started_on=STARTED)
        morning_check_in(patient, STARTED, pain=n)
    whole = caseload(therapist, FIRST_MORNING)
    page = list(caseload_patients(therapist, FIRST_MORNING)[2:4])
    rows = caseload(therapist, FIRST_MORNING, patients=page)
    assert [r.patient for r in rows] == [r.patient for r in whole[2:4]]
    assert [r.latest_pain_nrs for r in rows] == [2, 3]


def test_caseload_json_built_by_hand_is_the_declared_fields_json(therapist: Any) -> None:
    """CaseloadRowOutput builds its JSON by hand (issue 14): byte for byte what its declared
    fields (and so the OpenAPI schema) give, with and without a programme, pain and flags."""
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from patients.people.serializers import CaseloadRowOutput

    busy = factories.PatientFactory(therapist=therapist, user__first_name="", user__last_name="")
    factories.prescribe(busy, started_on=STARTED)
    session_on(busy, STARTED)
    morning_check_in(busy, STARTED, pain=4)
    for severity in (2, 3):
        Flag.objects.create(
            patient=busy,
            rule=f"r{severity}",
            episode="e",
            kind="step_back",
            severity=severity,
            message="Step back.",
        )
    factories.PatientFactory(therapist=therapist)  # no programme, pain or flags
    rows = caseload(therapist, FIRST_MORNING)
    assert {r.programme is None for r in rows} == {True, False}
    render = JSONRenderer().render
    for row in rows:
        output = CaseloadRowOutput(row)
        assert render(output.data) == render(serializers.Serializer.to_representation(output, row))
