"""Offline sync never loses or doubles a record: replays, conflicts, concurrent resends and
the 500-record batch."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from patients.models import CheckIn, QuestionnaireResponse, SessionLog
from tests import factories
from tests.api.conftest import local_today, session_body
from tests.factories import api_client_for, current_items

LEFS_ANSWERS = {f"a{n}": 3 for n in range(1, 21)}


def test_replaying_a_log_returns_the_stored_row_and_creates_nothing(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    first = as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    again = as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert SessionLog.objects.count() == 1


def test_the_same_uuid_with_other_content_is_a_409(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    as_patient.post("/api/v1/sessions/", session_body(patient, programme))
    response = as_patient.post("/api/v1/sessions/", session_body(patient, programme, slot=2))
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "This record was already sent with different content.",
        "fields": {"client_uuid": ["Already used for a different record."]},
    }
    assert SessionLog.objects.count() == 1


def test_check_ins_and_questionnaires_replay_and_conflict_too(
    as_patient: Any, patient: Any
) -> None:
    check_in = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": local_today(patient).isoformat(),
        "morning_pain_nrs": 2,
        "stiffness_minutes": 5,
    }
    assert as_patient.post("/api/v1/check-ins/", check_in).status_code == 201
    assert as_patient.post("/api/v1/check-ins/", check_in).status_code == 200
    changed = check_in | {"morning_pain_nrs": 6}
    assert as_patient.post("/api/v1/check-ins/", changed).status_code == 409
    response = {
        "client_uuid": str(uuid.uuid4()),
        "questionnaire": "lefs",
        "local_date": local_today(patient).isoformat(),
        "answers": LEFS_ANSWERS,
    }
    assert as_patient.post("/api/v1/questionnaire-responses/", response).status_code == 201
    assert as_patient.post("/api/v1/questionnaire-responses/", response).status_code == 200
    other = response | {"answers": LEFS_ANSWERS | {"a1": 4}}
    assert as_patient.post("/api/v1/questionnaire-responses/", other).status_code == 409
    assert (CheckIn.objects.count(), QuestionnaireResponse.objects.count()) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_create_one_row(shared_database: None) -> None:
    patient = factories.PatientFactory()
    programme = factories.prescribe(patient)
    body = session_body(patient, programme)
    clients = [api_client_for(patient.user) for _ in range(20)]
    start = threading.Barrier(20)
    statuses: list[int] = []

    def send(client: Any) -> None:
        try:
            start.wait()
            statuses.append(client.post("/api/v1/sessions/", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SessionLog.objects.count() == 1
    assert sorted(statuses) == [200] * 19 + [201]


# --- The batch ----------------------------------------------------------------------------


def batch_of_500(patient: Any, programme: Any) -> list[dict[str, Any]]:
    """200 sessions (100 days × 2 slots), 200 check-ins and 100 LEFS responses."""
    today = local_today(patient)
    key = str(current_items(programme)[0].key)
    records: list[dict[str, Any]] = []
    for day in range(100):
        for slot in (1, 2):
            records.append(
                {
                    "type": "session",
                    "client_uuid": str(uuid.uuid4()),
                    "local_date": (today - timedelta(days=day)).isoformat(),
                    "slot": slot,
                    "pain_after_nrs": 2,
                    "exercises": [{"item_key": key, "sets_done": 3, "pain_during_nrs": 2}],
                    "logged_at": "2026-11-03T08:25:00+01:00",
                }
            )
    for day in range(200):
        records.append(
            {
                "type": "check_in",
                "client_uuid": str(uuid.uuid4()),
                "local_date": (today - timedelta(days=day)).isoformat(),
                "morning_pain_nrs": 2,
                "stiffness_minutes": 5,
            }
        )
    for day in range(100):
        records.append(
            {
                "type": "questionnaire",
                "client_uuid": str(uuid.uuid4()),
                "questionnaire": "lefs",
                "local_date": (today - timedelta(days=day)).isoformat(),
                "answers": LEFS_ANSWERS,
            }
        )
    return records


def stored_rows() -> int:
    return (
        SessionLog.objects.count() + CheckIn.objects.count() + QuestionnaireResponse.objects.count()
    )


def test_a_batch_of_500_sent_twice_stores_500_rows(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    records = batch_of_500(patient, programme)
    started = time.perf_counter()
    first = as_patient.post("/api/v1/sync/", {"records": records})
    elapsed = time.perf_counter() - started
    assert first.status_code == 200
    assert elapsed < 60  # measured 3–7 s on the 2-core CI machine (SQLite)
    assert first.json()["created"] == 500
    again = as_patient.post("/api/v1/sync/", {"records": records})
    assert again.json()["already_present"] == 500
    assert stored_rows() == 500
    result = again.json()["results"][0]
    assert result["status"] == "already_present"
    assert result["id"] == first.json()["results"][0]["id"]


def test_one_bad_record_is_rejected_with_its_reason_and_never_blocks_the_others(
    as_patient: Any, patient: Any, programme: Any
) -> None:
    good = session_body(patient, programme) | {"type": "session"}
    records = [
        good,
        good | {"client_uuid": str(uuid.uuid4()), "slot": 2, "pain_after_nrs": 42},
        good | {"slot": 3},  # same uuid, other content: a conflict
        good | {"client_uuid": str(uuid.uuid4()), "slot": 2, "exercises": [
            {"item_key": str(uuid.uuid4())}]},  # not in the programme: the service refuses
        {"type": "bowling", "client_uuid": str(uuid.uuid4())},
        {
            "type": "check_in",
            "client_uuid": str(uuid.uuid4()),
            "local_date": local_today(patient).isoformat(),
            "morning_pain_nrs": 1,
            "stiffness_minutes": 0,
        },
    ]  # fmt: skip
    body = as_patient.post("/api/v1/sync/", {"records": records}).json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    invalid, conflict, unknown_item, bad_type = body["results"][1:5]
    assert invalid["code"] == "invalid"
    assert "pain_after_nrs" in invalid["fields"]
    assert conflict["code"] == "conflict"
    assert "exercises" in unknown_item["fields"]
    assert "type" in bad_type["fields"]
    assert (body["created"], body["rejected"]) == (2, 4)
    assert stored_rows() == 2


@pytest.mark.parametrize(
    "body",
    [{}, {"records": []}, {"records": "all of them"}, {"records": [1, 2]}, [{"type": "x"}]],
)
def test_a_malformed_batch_is_a_400(as_patient: Any, body: Any) -> None:
    response = as_patient.post("/api/v1/sync/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_more_than_500_records_is_a_400(as_patient: Any) -> None:
    response = as_patient.post("/api/v1/sync/", {"records": [{"type": "session"}] * 501})
    assert response.status_code == 400
    assert "records" in response.json()["fields"]
