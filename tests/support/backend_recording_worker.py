"""The real Celery app for the connection-reuse test, with one change: before each task a
worker child runs, the PostgreSQL backend serving it (`pg_backend_pid()`) is appended to
`$REHAB_TEST_BACKEND_LOG`.

Started as `celery -A tests.support.backend_recording_worker worker …` (tests/integration)."""

from __future__ import annotations

import os
from typing import Any

from celery.signals import task_prerun

from rehab.celery import app

__all__ = ["app"]


@task_prerun.connect  # after rehab.celery's own handler, which was connected on import
def _record_backend(**kwargs: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with open(os.environ["REHAB_TEST_BACKEND_LOG"], "a") as log:
        log.write(f"{pid}\n")
