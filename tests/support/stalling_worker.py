"""The real Celery app for a fault test, with one change: the first worker child to finish a
chunk of the monitoring sweep writes its pid to `$REHAB_TEST_STALL_DIR/stalled` and stalls,
so the test can SIGKILL it mid-sweep (one chunk committed, the rest not yet done). Any later
run — the redelivered message — goes straight through.

Started as `celery -A tests.support.stalling_worker worker …` (tests/integration)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from rehab.celery import app

__all__ = ["app"]


def _stall_after_first_chunk() -> None:
    from patients.monitoring import sweep

    real = sweep.evaluate_programmes

    def stalling(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)  # the chunk's transaction has committed
        marker = Path(os.environ["REHAB_TEST_STALL_DIR"]) / "stalled"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(300)
        return report

    sweep.evaluate_programmes = stalling  # type: ignore[assignment]


@worker_process_init.connect
def _patch(**kwargs: Any) -> None:  # in each pool child, once Django is set up
    _stall_after_first_chunk()
