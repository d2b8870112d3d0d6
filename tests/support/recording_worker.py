"""The real Celery app for the scale-out test, with one change: every chunk of the monitoring
sweep a worker child evaluates is appended, with the child's pid, to
`$REHAB_TEST_CHUNK_LOG`, and takes half a second longer (so two workers both get some).

Started as `celery -A tests.support.recording_worker worker …` (tests/integration)."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from celery.signals import worker_process_init

from rehab.celery import app

__all__ = ["app"]


def _record_chunks() -> None:
    from patients.monitoring import tasks

    real = tasks.evaluate_range

    def recording(*, first: Any, last: Any, now: Any) -> Any:
        report = real(first=first, last=last, now=now)
        line = {"pid": os.getpid(), "first": str(first), "last": str(last)}
        with open(os.environ["REHAB_TEST_CHUNK_LOG"], "a") as log:
            log.write(json.dumps(line) + "\n")
        time.sleep(0.5)
        return report

    tasks.evaluate_range = recording  # type: ignore[assignment]


@worker_process_init.connect
def _patch(**kwargs: Any) -> None:  # in each pool child, once Django is set up
    _record_chunks()
