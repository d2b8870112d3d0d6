"""Who may see what: another patient's or therapist's object is a 404 (never a 403 that
confirms it exists), no token is a 401 on every operation, and patients stay out of
therapist collections (403)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from patients.models import CheckIn, Flag, QuestionnaireResponse, SessionLog
from tests.api.conftest import local_today, session_body


@pytest.fixture
def owned(as_patient: Any, patient: Any, programme: Any) -> dict[str, str]:
    """One of each object belonging to `patient` (therapist: `therapist`), by kind."""
    as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    today = local_today(patient)
    check_in = CheckIn.objects.create(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=today,
        morning_pain_nrs=2,
        stiffness_minutes=5,
        logged_at="2026-11-21T07:00Z",
    )
    response = QuestionnaireResponse.objects.create(
        patient=patient,
        client_uuid=uuid.uuid4(),
        questionnaire="visa_a",
        local_date=today,
        answers={},
        score=50,
        logged_at="2026-11-21T07:00Z",
    )
    flag = Flag.objects.create(
        patient=patient,
        programme=programme,
        rule="r",
        episode="e",
        kind=Flag.Kind.READY_TO_PROGRESS,
        severity=1,
        message="m",
    )
    return {
        "session": str(SessionLog.objects.get().pk),
        "check_in": str(check_in.pk),
        "response": str(response.pk),
        "programme": str(programme.pk),
        "patient": str(patient.pk),
        "flag": str(flag.pk),
    }


PATIENT_OBJECT_URLS = [
    ("get", "/api/v1/sessions/{session}/"),
    ("put", "/api/v1/sessions/{session}/"),
    ("patch", "/api/v1/sessions/{session}/"),
    ("delete", "/api/v1/sessions/{session}/"),
    ("get", "/api/v1/check-ins/{check_in}/"),
    ("get", "/api/v1/questionnaire-responses/{response}/"),
    ("get", "/api/v1/programmes/{programme}/"),
    ("get", "/api/v1/programmes/{programme}/revisions/"),
]
THERAPIST_OBJECT_URLS = [
    ("get", "/api/v1/patients/{patient}/"),
    ("post", "/api/v1/patients/{patient}/programmes/"),
    ("get", "/api/v1/programmes/{programme}/"),
    ("get", "/api/v1/programmes/{programme}/revisions/"),
    ("post", "/api/v1/programmes/{programme}/adjustments/"),
    ("post", "/api/v1/programmes/{programme}/end/"),
    ("get", "/api/v1/flags/{flag}/"),
    ("post", "/api/v1/flags/{flag}/acknowledge/"),
    ("post", "/api/v1/flags/{flag}/resolve/"),
    ("post", "/api/v1/flags/{flag}/accept-progression/"),
]


@pytest.mark.parametrize(("method", "url"), PATIENT_OBJECT_URLS)
def test_another_patient_gets_404_for_my_objects(
    owned: dict[str, str], as_stranger: Any, method: str, url: str
) -> None:
    response = getattr(as_stranger, method)(url.format(**owned), {"note": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("method", "url"), THERAPIST_OBJECT_URLS)
def test_another_therapist_gets_404_for_my_patients_objects(
    owned: dict[str, str], as_colleague: Any, method: str, url: str
) -> None:
    response = getattr(as_colleague, method)(url.format(**owned), {"note": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [(m, u) for m, u in THERAPIST_OBJECT_URLS if not u.startswith("/api/v1/programmes/")],
)
def test_a_patient_gets_404_on_therapist_object_urls_even_for_their_own(
    owned: dict[str, str], as_patient: Any, method: str, url: str
) -> None:
    assert getattr(as_patient, method)(url.format(**owned), {}).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [(m, u) for m, u in PATIENT_OBJECT_URLS if not u.startswith("/api/v1/programmes/")],
)
def test_a_therapist_gets_404_on_patient_object_urls(
    owned: dict[str, str], as_therapist: Any, method: str, url: str
) -> None:
    assert getattr(as_therapist, method)(url.format(**owned), {}).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/caseload/"),
        ("post", "/api/v1/caseload/"),
        ("get", "/api/v1/flags/"),
        ("post", "/api/v1/plan-preview/"),
    ],
)
def test_a_patient_gets_403_on_therapist_collections(
    as_patient: Any, method: str, url: str
) -> None:
    response = getattr(as_patient, method)(url, {})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/today/"),
        ("get", "/api/v1/sessions/"),
        ("post", "/api/v1/sessions/"),
        ("get", "/api/v1/programme/"),
        ("post", "/api/v1/sync/"),  # POST-only: a GET would be 405 whoever asked
    ],
)
def test_a_therapist_gets_403_on_patient_collections(
    as_therapist: Any, method: str, url: str
) -> None:
    response = getattr(as_therapist, method)(url, {})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_malformed_id_looks_like_a_missing_one(as_patient: Any, programme: Any) -> None:
    assert as_patient.get("/api/v1/sessions/not-a-uuid/").status_code == 404
    assert as_patient.get(f"/api/v1/sessions/{uuid.uuid4()}/").status_code == 404


def every_operation() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, re.sub(r"\{(\w+)\}", "0c9a7d52-53c5-4a53-9a53-6b8e0f1d2c3b", path))
        for path, operations in schema["paths"].items()
        for method in operations
        if path not in {"/api/v1/auth/login/", "/api/v1/auth/login/code/", "/api/v1/schema/"}
    ]


@pytest.mark.parametrize(("method", "url"), every_operation())
def test_every_operation_needs_authentication(db: None, method: str, url: str) -> None:
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401, url
    assert response.json()["code"] == "not_authenticated"
