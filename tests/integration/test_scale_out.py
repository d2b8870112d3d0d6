"""The hourly monitoring sweep is shared by every worker (issue 14): the sweep task cuts the
active programmes into chunks, one task each, and two real worker processes on the same
PostgreSQL and Redis both take chunks, each chunk evaluated once, each flag raised once.

Needs PostgreSQL and Redis: runs in CI, skips on a laptop without them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from patients.models import Flag
from patients.monitoring.sweep import evaluate_active_programmes
from patients.monitoring.tasks import monitoring_sweep
from tests import factories
from tests.integration.conftest import celery_worker_process, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PROGRAMMES = 12
CHUNK = 2


@pytest.fixture
def two_workers(loaded_catalogue: None, tmp_path: Path) -> Iterator[Path]:
    """Two `celery worker` processes (one child each) that log the chunks they evaluate."""
    log = tmp_path / "chunks.jsonl"
    log.touch()
    env = {"REHAB_SWEEP_CHUNK_SIZE": str(CHUNK), "REHAB_TEST_CHUNK_LOG": str(log)}
    with (
        celery_worker_process("tests.support.recording_worker", **env),
        celery_worker_process("tests.support.recording_worker", **env),
    ):
        yield log


def test_two_workers_share_the_sweep_and_no_chunk_is_done_twice(two_workers: Path) -> None:
    today = timezone.localdate()
    for _ in range(PROGRAMMES):  # no session in 10 days: "not doing it" for each
        factories.prescribe(factories.PatientFactory(), started_on=today - timedelta(days=10))

    monitoring_sweep.delay()

    def chunks() -> list[dict[str, object]]:
        return [json.loads(line) for line in two_workers.read_text().splitlines()]

    wait_for(lambda: len(chunks()) >= PROGRAMMES // CHUNK, timeout=120)
    flagged = Flag.objects.values("patient").distinct()
    wait_for(lambda: flagged.count() == PROGRAMMES, timeout=60)

    done = chunks()
    ranges = [(c["first"], c["last"]) for c in done]
    assert len(ranges) == PROGRAMMES // CHUNK
    assert len(set(ranges)) == len(ranges)  # no chunk evaluated twice
    assert len({c["pid"] for c in done}) == 2  # both workers took chunks
    rows = list(Flag.objects.values_list("patient", "rule", "episode"))
    assert len(rows) == len(set(rows))  # one flag per rule and episode
    assert evaluate_active_programmes(now=timezone.now()).created == 0  # nothing left undone
