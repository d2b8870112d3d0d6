from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from rehab.celery import app


def wait_for(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.2) -> float:
    """Poll until `check()` is true; return the seconds it took, fail after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    pytest.fail(f"not true within {timeout:.0f} s")


@pytest.fixture
def worker(loaded_catalogue: None) -> Iterator[Any]:
    """A real Celery worker (in a thread) on the configured broker: Redis in CI, the
    filesystem broker on a laptop."""
    app.loader.import_default_modules()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


def needs_real_services() -> None:
    """Fault tests need PostgreSQL (shared by separate worker processes) and Redis."""
    missing = [
        name
        for name, prefix in (("DATABASE_URL", "postgres"), ("REDIS_URL", "redis"))
        if not os.environ.get(name, "").startswith(prefix)
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}")


def needs_postgresql() -> None:
    """For a test of PostgreSQL's own behaviour (triggers, killed connections): skipped on a
    laptop's SQLite, a failure in CI."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run this on PostgreSQL (DATABASE_URL)")
        pytest.skip("needs PostgreSQL")
