"""Faults with real processes: a worker killed mid-send, Redis stopped while patients log.

These need PostgreSQL (shared with worker subprocesses) and Redis: they run in CI and skip on
a laptop without them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from patients.models import CheckIn, Flag, Notification, Reminder
from patients.services import record_check_in
from patients.tasks import red_flag_sweep, send_reminder_task
from rehab.celery import app
from tests import factories
from tests.integration.conftest import needs_real_services, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_process(loaded_catalogue: None, tmp_path: Path) -> Iterator[Path]:
    """A real `celery worker` process (prefork, one child) on the test database."""
    needs_real_services()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "tests.support.slow_mail.SlowFirstSendBackend",
        "REHAB_TEST_MAIL_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "rehab.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "rehab",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield tmp_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_worker_killed_mid_send_still_yields_exactly_one_notification(
    worker_process: Path,
) -> None:
    patient = factories.PatientFactory()
    reminder = factories.due_session_reminder(patient)
    send_reminder_task.delay(str(reminder.pk))

    stalled = worker_process / "stalled"
    wait_for(stalled.exists, timeout=60)  # the child is inside send_mail, transaction open
    os.kill(int(stalled.read_text()), signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the message goes back to Redis and a new child runs it.
    wait_for(lambda: Reminder.objects.get(pk=reminder.pk).status == "sent", timeout=90)
    assert Notification.objects.filter(user=patient.user, kind="reminder:session").count() == 1
    assert len(list(worker_process.glob("*.eml"))) == 1
    assert Reminder.objects.get(pk=reminder.pk).attempts == 1  # the killed attempt rolled back


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
