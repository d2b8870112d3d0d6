"""Each list costs a fixed number of SQL queries, whatever its length: the same budget holds
at 1 row and at 50 (authentication included: the token lookup and its refresh)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from patients.activity.services import ExerciseDone, record_session
from patients.models import CheckIn, Flag, Notification, QuestionnaireResponse
from programmes.services import ChangeDose, adjust_programme
from tests import factories
from tests.api.conftest import local_today
from tests.factories import api_client_for, current_items


def sessions(patient: Any, programme: Any, n: int) -> None:
    items = current_items(programme)
    # Six slots a day: 50 logs fit between the programme's start and today.
    for row in range(n):
        record_session(
            patient=patient,
            client_uuid=uuid.uuid4(),
            local_date=local_today(patient) - timedelta(days=row // 6),
            slot=row % 6 + 1,
            logged_at=_now(),
            exercises=[ExerciseDone(item_key=item.key, sets_done=1) for item in items],
            now=_now(),
        )


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def check_ins(patient: Any, programme: Any, n: int) -> None:
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            client_uuid=uuid.uuid4(),
            local_date=local_today(patient) - timedelta(days=day),
            morning_pain_nrs=2,
            stiffness_minutes=5,
            logged_at=_now(),
        )
        for day in range(n)
    )


def responses(patient: Any, programme: Any, n: int) -> None:
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(
            patient=patient,
            client_uuid=uuid.uuid4(),
            questionnaire="visa_a",
            local_date=local_today(patient) - timedelta(days=day),
            answers={},
            score=50,
            logged_at=_now(),
        )
        for day in range(n)
    )


def notifications(patient: Any, programme: Any, n: int) -> None:
    Notification.objects.bulk_create(
        Notification(user=patient.user, kind="session", title=f"n{i}") for i in range(n)
    )


def flags(patient: Any, programme: Any, n: int) -> None:
    Flag.objects.bulk_create(
        Flag(
            patient=patient,
            programme=programme,
            rule=f"r{i}",
            episode="e",
            kind=Flag.Kind.STEP_BACK,
            severity=2,
            message="m",
        )
        for i in range(n)
    )


def caseload(patient: Any, programme: Any, n: int) -> None:
    for _ in range(n - 1):
        other = factories.PatientFactory(therapist=patient.therapist)
        factories.prescribe(other)
    flags(patient, programme, 1)
    check_ins(patient, programme, 1)


def revisions(patient: Any, programme: Any, n: int) -> None:
    item = current_items(programme)[0]
    for i in range(n - 1):
        adjust_programme(
            programme=programme,
            changed_by=patient.therapist.user,
            change=ChangeDose(item=item.key, dose={"sets": 1 + i % 5}),
            reason="Budget test.",
        )


def nothing(patient: Any, programme: Any, n: int) -> None:
    pass


Rows = Callable[[Any, Any, int], None]
# (who, URL, how to make n rows, budget). Each budget is the count measured, and includes
# 2 queries for the knox token (lookup and expired-token sweep) and 1 for the caller's role;
# the patient detail adds 1 for its audit entry (a therapist viewing a patient's record).
LISTS: list[tuple[str, str, Rows, int]] = [
    ("patient", "/api/v1/sessions/", sessions, 7),
    ("patient", "/api/v1/check-ins/", check_ins, 5),
    ("patient", "/api/v1/questionnaire-responses/", responses, 5),
    ("patient", "/api/v1/notifications/", notifications, 4),
    # flags: + 1 for the step backs shown with them (each flag's `group`).
    ("therapist", "/api/v1/flags/", flags, 6),
    # caseload: 3 + the count, the page (patients with programme, done sessions and flags).
    ("therapist", "/api/v1/caseload/", caseload, 5),
    ("patient", "/api/v1/programmes/{programme}/revisions/", revisions, 7),
    ("therapist", "/api/v1/patients/{patient}/", sessions, 14),
    # today: 3 for authentication and the role + its one statement (issue 14).
    ("patient", "/api/v1/today/", sessions, 4),
]


@pytest.mark.parametrize(("who", "url", "make_rows", "budget"), LISTS)
@pytest.mark.parametrize("rows", [1, 50])
def test_a_list_costs_the_same_queries_at_1_and_50_rows(
    django_assert_max_num_queries: Any,
    patient: Any,
    programme: Any,
    who: str,
    url: str,
    make_rows: Rows,
    budget: int,
    rows: int,
) -> None:
    make_rows(patient, programme, rows)
    client = api_client_for(patient.user if who == "patient" else patient.therapist.user)
    url = url.format(patient=patient.pk, programme=programme.pk)
    client.get(url)  # warm the per-process catalogue snapshot and the token's refresh
    with django_assert_max_num_queries(budget):
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200
    body = response.json()
    if "count" in body:
        assert body["count"] == rows


@pytest.mark.parametrize(("url", "rows"), [("/api/v1/exercises/", 41), ("/api/v1/conditions/", 24)])
@pytest.mark.parametrize("page_size", [1, 50])
def test_the_catalogue_lists_cost_the_same_at_any_page_size(
    django_assert_max_num_queries: Any, as_patient: Any, url: str, rows: int, page_size: int
) -> None:
    as_patient.get(url)
    # 5: one more than before for the exercises, which look up whether a patient is asking
    # (a patient gets no clinician notes, F39); still the same at any page size.
    with django_assert_max_num_queries(5):
        response = as_patient.get(url, {"page_size": page_size})
    assert len(response.json()["results"]) == min(rows, page_size)


@pytest.mark.parametrize("url", ["/api/v1/programme/", "/api/v1/programmes/{programme}/"])
def test_the_programme_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any, as_patient: Any, programme: Any, url: str
) -> None:
    url = url.format(programme=programme.pk)
    as_patient.get(url)
    # 12 with the patient's pause (F3): one read of their unresolved red flags; and the
    # review dates (issue 15): one read of the checkpoints.
    with django_assert_max_num_queries(12):
        assert as_patient.get(url).status_code == 200
