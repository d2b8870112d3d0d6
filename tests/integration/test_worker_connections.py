"""A worker keeps its database connection from task to task, as a web process does from
request to request (rehab/celery.py): Celery's Django fixup would close it around every task,
and a wave of reminders would then start a PostgreSQL backend for each batch (issue 14). A
connection that broke is replaced before the next task uses it.

Needs PostgreSQL and Redis: runs in CI, skips on a laptop without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from rehab.tasks import beat_heartbeat
from tests.integration.conftest import celery_worker_process, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def backends(loaded_catalogue: None, tmp_path: Path) -> Iterator[Path]:
    """One `celery worker` process that logs the backend serving each task it runs."""
    log = tmp_path / "backends.log"
    log.touch()
    with celery_worker_process(
        "tests.support.backend_recording_worker", REHAB_TEST_BACKEND_LOG=str(log)
    ):
        yield log


def _run(log: Path, tasks: int) -> list[int]:
    """Send `tasks` more tasks, one after another; the backend each one ran on."""
    before = len(log.read_text().split())
    for n in range(1, tasks + 1):
        beat_heartbeat.delay()
        wait_for(lambda n=n: len(log.read_text().split()) >= before + n, timeout=60)
    return [int(pid) for pid in log.read_text().split()[before:]]


def test_tasks_share_one_connection_and_a_broken_one_is_replaced(backends: Path) -> None:
    first = _run(backends, 4)
    assert len(set(first)) == 1, first  # one backend for every task: the connection was kept

    with connection.cursor() as cursor:  # PostgreSQL restarted, a proxy dropped it, …
        cursor.execute("SELECT pg_terminate_backend(%s)", [first[0]])
    after = _run(backends, 2)
    assert first[0] not in after  # the dead connection was not used
    assert len(set(after)) == 1  # and the new one is kept in turn
