"""Faults with real processes and servers: a worker killed mid-send and mid-sweep, Redis
stopped while patients log on the web and through the API, the PostgreSQL connection lost in
the middle of a request.

These need PostgreSQL (shared with worker subprocesses) and Redis: they run in CI and skip on
a laptop without them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time as time_module
import uuid
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from auditlog.models import LogEntry
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from patients.activity.services import record_check_in
from patients.models import CheckIn, Flag, Notification, Reminder, SessionLog
from patients.monitoring.sweep import evaluate_active_programmes
from patients.monitoring.tasks import monitoring_sweep, red_flag_sweep
from patients.reminders.services import CATCH_UP
from patients.reminders.tasks import reminder_plan_sweep, reminder_sweep, send_reminder_task
from programmes.models import ProgrammeItem
from rehab.celery import app
from tests import factories
from tests.factories import api_client_for
from tests.integration.conftest import (
    celery_worker_process,
    needs_postgresql,
    needs_real_services,
    wait_for,
)
from tests.web.conftest import session_form

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_process(loaded_catalogue: None, tmp_path: Path) -> Iterator[Path]:
    """A worker whose first e-mail send stalls (tests/support/slow_mail.py), and whose
    delivery batches hold what they claim for 3 seconds."""
    with celery_worker_process(
        "rehab",
        EMAIL_BACKEND="tests.support.slow_mail.SlowFirstSendBackend",
        REHAB_TEST_MAIL_DIR=str(tmp_path),
        REHAB_DELIVERY_LEASE_SECONDS="3",
    ):
        yield tmp_path


def test_a_worker_killed_mid_send_still_yields_exactly_one_notification(
    worker_process: Path,
) -> None:
    patient = factories.PatientFactory()
    reminder = factories.due_session_reminder(patient)
    send_reminder_task.delay(str(reminder.pk))

    stalled = worker_process / "stalled"
    wait_for(stalled.exists, timeout=60)  # the child is inside send_mail
    os.kill(int(stalled.read_text()), signal.SIGKILL)

    # The notification committed before the e-mail was tried: the reminder is sent, once.
    assert Reminder.objects.get(pk=reminder.pk).status == "sent"
    assert Notification.objects.filter(user=patient.user, kind="reminder:session").count() == 1
    assert Reminder.objects.get(pk=reminder.pk).attempts == 1

    # Its e-mail is still owed; once the dead batch's lease is over, the per-minute job
    # (here every second) gives it to a new batch, which sends it once.
    def emailed() -> bool:
        reminder_sweep.delay()
        time_module.sleep(1)
        return len(list(worker_process.glob("*.eml"))) >= 1

    wait_for(emailed, timeout=90, every=0)
    time_module.sleep(3)  # a second copy, if any, would arrive now
    assert len(list(worker_process.glob("*.eml"))) == 1
    assert Notification.objects.get(user=patient.user, kind="reminder:session").emailed_at


def _redis(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


@pytest.fixture
def redis_outage(loaded_catalogue: None) -> Iterator[Any]:
    """Stop the Redis server; always start it again (same command as .ci/run)."""
    needs_real_services()

    def start() -> None:
        if _redis("ping").stdout.strip() != "PONG":
            subprocess.run(
                [
                    "redis-server",
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    "6379",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                check=True,
            )
        wait_for(lambda: _redis("ping").stdout.strip() == "PONG", timeout=30)

    _redis("shutdown", "nosave")
    wait_for(lambda: _redis("ping").stdout.strip() != "PONG", timeout=10)
    try:
        yield start
    finally:
        start()


def test_with_redis_down_logging_works_and_flags_catch_up_after(redis_outage: Any) -> None:
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=2))

    started = timezone.now()
    recorded = record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=timezone.localdate(),
        morning_pain_nrs=7,
        stiffness_minutes=20,
        red_flags=["redness_warmth_fever"],
        logged_at=timezone.now(),
        now=timezone.now(),
    )
    took = (timezone.now() - started).total_seconds()
    assert recorded.outcome == "created"
    assert CheckIn.objects.filter(patient=patient).count() == 1  # stored despite the outage
    assert took < 10
    # The flag is raised with the check-in; only the e-mail could not be queued.
    flag = Flag.objects.get(patient=patient, rule="red_flag:redness_warmth_fever")
    assert flag.notified_at is None
    assert mail.outbox == []

    redis_outage()  # Redis is back
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        red_flag_sweep.delay()
        wait_for(lambda: len(mail.outbox) == 1, timeout=60)
    flag.refresh_from_db()
    assert flag.notified_at is not None


# --- Redis down while patients log on the web and through the API --------------------------


def test_with_redis_down_every_log_is_stored_and_reminders_catch_up_once(
    redis_outage: Any,
) -> None:
    """Patients keep logging (web and API) through a Redis outage; when it is back, the
    reminders that fell due and the red-flag e-mail go out once each, and sweeping again
    sends nothing more."""
    today = timezone.localdate()
    logger = factories.PatientFactory()
    programme = factories.prescribe(logger, started_on=today - timedelta(days=3))
    quiet = factories.PatientFactory(quiet_start=time(0), quiet_end=time(0))
    due = (timezone.now() - timedelta(minutes=40)).astimezone(quiet.zone)
    quiet.session_times = [due.strftime("%H:%M")]
    quiet.save()
    factories.prescribe(quiet, started_on=today - timedelta(days=3))
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    api, web = api_client_for(logger.user), Client()
    factories.sign_in(web, logger.user)

    answers = []
    for day in (1, 2):  # the last two days, through the API
        body = {
            "client_uuid": str(uuid.uuid4()),
            "local_date": (today - timedelta(days=day)).isoformat(),
            "slot": 1,
            "pain_after_nrs": 3,
            "exercises": [{"item_key": str(item.key), "sets_done": 3}],
            "logged_at": timezone.now().isoformat(),
        }
        answers.append(api.post("/api/v1/sessions/", body, format="json").status_code)
        answers.append(api.post("/api/v1/sessions/", body, format="json").status_code)  # resent
    check_in = {
        "client_uuid": str(uuid.uuid4()),
        "local_date": today.isoformat(),
        "morning_pain_nrs": 6,
        "stiffness_minutes": 20,
        "red_flags": ["redness_warmth_fever"],
        "logged_at": timezone.now().isoformat(),
    }
    # Today's session on the web first: the red flag that follows pauses the programme (F3).
    answers.append(web.post(reverse("log_session", args=[1]), session_form(web)).status_code)
    answers.append(api.post("/api/v1/check-ins/", check_in, format="json").status_code)

    assert answers == [201, 200, 201, 200, 302, 201]  # stored, replayed, never a 500
    assert SessionLog.objects.filter(patient=logger).count() == 3
    assert CheckIn.objects.filter(patient=logger).count() == 1
    flag = Flag.objects.get(patient=logger, kind="red_flag")  # raised with the check-in
    assert flag.notified_at is None  # its e-mail could not be queued
    assert mail.outbox == []

    redis_outage()  # Redis is back; beat's next sweeps run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        reminder_plan_sweep.delay()  # first the planner (issue 14), as beat lists them
        reminder_sweep.delay()
        red_flag_sweep.delay()
        now = timezone.now()
        # What fell due in the catch-up window; the days ahead are planned and wait.
        fell_due = Reminder.objects.filter(due_at__gt=now - CATCH_UP, due_at__lte=now)
        pending = fell_due.filter(status=Reminder.Status.PENDING)
        wait_for(lambda: fell_due.exists() and not pending.exists(), timeout=60)
        wait_for(lambda: Flag.objects.get(pk=flag.pk).notified_at is not None, timeout=60)
        sent = Notification.objects.filter(kind__startswith="reminder:").count()
        emails = len(mail.outbox)
        for _ in range(2):  # the next sweeps find nothing left to do
            reminder_plan_sweep.delay()
            reminder_sweep.delay()
            red_flag_sweep.delay()
        time_module.sleep(5)

    reminders = fell_due.filter(patient=quiet)
    assert {r.kind for r in reminders} >= {"check_in", "session"}  # fell due in the outage
    assert set(reminders.values_list("status", flat=True)) == {"sent"}
    assert sent == reminders.count()  # one notification per reminder
    assert Notification.objects.filter(kind__startswith="reminder:").count() == sent
    assert len(mail.outbox) == emails  # and no e-mail twice
    assert [m.subject for m in mail.outbox].count(f"Same day: {logger} reported a red flag") == 1
    assert SessionLog.objects.filter(patient=logger).count() == 3  # nothing lost or doubled


# --- A worker killed in the middle of the monitoring sweep ----------------------------------


@pytest.fixture
def stalling_worker(loaded_catalogue: None, tmp_path: Path) -> Iterator[Path]:
    """A worker whose first sweep stalls after its first chunk of 2 programmes
    (tests/support/stalling_worker.py)."""
    with celery_worker_process(
        "tests.support.stalling_worker",
        REHAB_SWEEP_CHUNK_SIZE="2",
        REHAB_TEST_STALL_DIR=str(tmp_path),
    ):
        yield tmp_path


def test_a_worker_killed_mid_sweep_leaves_the_next_sweep_to_finish_without_duplicates(
    stalling_worker: Path,
) -> None:
    today = timezone.localdate()
    patients = []
    for _ in range(6):  # three chunks of two
        patient = factories.PatientFactory()
        factories.prescribe(patient, started_on=today - timedelta(days=10))
        patients.append(patient)  # no session in 10 days: "not doing it" for each
    monitoring_sweep.delay()

    stalled = stalling_worker / "stalled"
    wait_for(stalled.exists, timeout=60)  # chunk 1 committed, chunks 2 and 3 not started
    first_chunk = Flag.objects.count()
    assert first_chunk > 0
    os.kill(int(stalled.read_text()), signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the sweep is redelivered and runs from the start.
    flagged = Flag.objects.values("patient").distinct()
    wait_for(lambda: flagged.count() == len(patients), timeout=90)
    time_module.sleep(3)  # let the redelivered sweep finish its last chunk

    rows = list(Flag.objects.values_list("patient", "rule", "episode"))
    assert len(rows) == len(set(rows))  # one flag per rule and episode
    again = evaluate_active_programmes(now=timezone.now())
    assert again.created == 0  # nothing was left undone
    created = LogEntry.objects.filter(
        action=LogEntry.Action.CREATE, content_type__model="flag"
    ).count()
    assert created == len(rows)  # and each flag's creation audited once


# --- The database connection lost in the middle of a request --------------------------------


def _wsgi(method: str, path: str, **extra: Any) -> tuple[int, dict[str, str], bytes]:
    """One request through Django's real WSGI entry point (as gunicorn calls it), with the
    request_started/finished housekeeping that drops a broken connection."""
    request = getattr(RequestFactory(), method.lower())(path, **extra)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(get_wsgi_application()(request.environ, start_response))
    return seen["status"], seen["headers"], body


@contextlib.contextmanager
def connection_killed_at(table: str) -> Iterator[list[str]]:
    """Terminate this thread's PostgreSQL connection from the server side just before the
    first statement that touches `table` runs (pg_terminate_backend, as a failover or a
    restart would), once."""
    killed: list[str] = []
    db = connection.settings_dict

    def killer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not killed and table in sql:
            killed.append(sql)
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(
                host=db["HOST"],
                port=db["PORT"],
                user=db["USER"],
                dbname=db["NAME"],
                autocommit=True,
            ) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(killer):
            yield killed
    finally:
        connection.close()


def test_a_lost_database_connection_mid_request_is_a_503_and_the_retry_is_stored_once(
    loaded_catalogue: None,
) -> None:
    needs_postgresql()
    patient = factories.PatientFactory()
    programme = factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=2))
    item = ProgrammeItem.objects.filter(phase__revision=programme.current_revision).first()
    _, token = AuthToken.objects.create(patient.user)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    body = json.dumps(
        {
            "client_uuid": str(uuid.uuid4()),
            "local_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "slot": 1,
            "exercises": [{"item_key": str(item.key), "sets_done": 3}],
            "logged_at": timezone.now().isoformat(),
        }
    )
    post = {"data": body, "content_type": "application/json", **auth}

    with connection_killed_at("patients_sessionlog") as killed:
        status, headers, content = _wsgi("POST", "/api/v1/sessions/", **post)
    assert killed  # the connection really went, after authentication, mid-request
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert json.loads(content)["code"] == "unavailable"
    assert b"Traceback" not in content
    assert SessionLog.objects.filter(patient=patient).count() == 0  # rolled back, not half-done

    status, _, _ = _wsgi("POST", "/api/v1/sessions/", **post)  # the phone retries
    assert status == 201
    assert _wsgi("POST", "/api/v1/sessions/", **post)[0] == 200  # and again: a replay
    assert SessionLog.objects.filter(patient=patient).count() == 1


def test_a_lost_database_connection_on_a_page_is_a_503_page_then_the_page_works(
    loaded_catalogue: None,
) -> None:
    needs_postgresql()
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=2))
    browser = Client()
    browser.force_login(patient.user)
    cookie = {"HTTP_COOKIE": f"sessionid={browser.cookies['sessionid'].value}"}

    with connection_killed_at("patients_sessionlog") as killed:
        status, headers, content = _wsgi("GET", "/today/", **cookie)
    assert killed
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert "Back in a moment" in content.decode()
    assert "Traceback" not in content.decode()

    status, _, content = _wsgi("GET", "/today/", **cookie)
    assert status == 200
    assert "Today" in content.decode()
