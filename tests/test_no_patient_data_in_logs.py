"""No patient data in logs or in task messages: ids only.

Task messages sit in Redis (and its append-only file) and in worker logs; log lines end up in
log files and log services. Neither is covered by the clinic's access controls, the export
or anonymisation, so neither may carry a name, e-mail, date of birth or free text."""

from __future__ import annotations

import ast
import inspect
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from patients.models import Flag
from patients.monitoring.services import notify_flag
from programmes.models import ProgrammeItem
from rehab.celery import app
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for app in ("patients", "programmes", "rehab") for p in (ROOT / app).rglob("*.py")]


def test_every_task_takes_only_ids() -> None:
    found = []
    app.loader.import_default_modules()
    for name, task in app.tasks.items():
        if not name.startswith("patients."):
            continue
        parameters = inspect.signature(task.run).parameters
        for parameter in parameters.values():
            assert parameter.name.endswith("_id"), f"{name}({parameter.name})"
            assert parameter.annotation in ("str", str), f"{name}({parameter.name})"
        found.append(name)
    assert "patients.tasks.notify_flag_task" in found
    assert "patients.tasks.send_reminder_task" in found


def test_every_enqueued_task_is_given_an_id_variable() -> None:
    calls = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            is_enqueue = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"delay", "apply_async", "delay_on_commit"}
            )
            if not is_enqueue:
                continue
            assert isinstance(node, ast.Call)
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                where = f"{path.relative_to(ROOT)}:{node.lineno} enqueues {ast.unparse(arg)}"
                assert isinstance(arg, ast.Name), where
                assert arg.id.endswith("_id"), where
            calls.append(f"{path.name}:{node.lineno}")
    assert calls  # the scan saw the enqueue calls it polices


@pytest.fixture
def everything_logged(caplog: Any) -> Any:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_a_day_of_use_logs_no_patient_data(
    patient: Any, everything_logged: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = patient.user
    user.first_name, user.last_name = "Zebedee", "Quixotic"
    user.save()
    programme = factories.prescribe(patient, started_on=timezone.localdate())
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    private = [user.username, user.first_name, user.last_name, user.email, "1985-03-02"]

    client = APIClient()
    login = client.post(
        "/api/v1/auth/login/",
        {"username": user.username, "password": factories.PASSWORD, "device_name": "Zebedee"},
        format="json",
    )
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    today = timezone.now().astimezone(patient.zone).date().isoformat()
    session = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": today,
        "slot": 1,
        "status": "skipped",
        "skip_reason": "Zebedee Quixotic was ill",
        "logged_at": timezone.now().isoformat(),
    }
    assert client.post("/api/v1/sessions/", session, format="json").status_code == 201
    check_in = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": today,
        "morning_pain_nrs": 8,
        "stiffness_minutes": 30,
        "red_flags": ["redness_warmth_fever"],
        "logged_at": timezone.now().isoformat(),
    }
    with django_capture_on_commit_callbacks():  # the e-mail is sent below, as the task would
        assert client.post("/api/v1/check-ins/", check_in, format="json").status_code == 201
    notify_flag(flag=Flag.objects.get(patient=patient, kind="red_flag"), now=timezone.now())
    client.get("/api/v1/me/export/")
    client.get(f"/api/v1/sessions/{uuid.uuid4()}/")  # a 404 is logged as a warning
    client.post("/api/v1/sessions/", {"slot": "x"}, format="json")  # a 400
    bad = APIClient()
    bad.post("/api/v1/auth/login/", {"username": user.username, "password": "nope"}, format="json")
    assert AuthToken.objects.filter(user=user).exists()
    assert item is not None

    assert len(everything_logged.records) > 3  # the flow did log things
    for record in everything_logged.records:
        text = record.getMessage()
        for value in private:
            assert value not in text, f"{record.name}: {text}"
