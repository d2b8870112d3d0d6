from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections

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
    filesystem broker on a laptop. Its thread's database connection is closed after each
    task: a worker keeps it between tasks (rehab/celery.py), and one left open by a stopped
    thread would keep the test database from being dropped."""
    app.loader.import_default_modules()
    task_postrun.connect(_close_thread_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
            yield w
    finally:
        task_postrun.disconnect(_close_thread_connections)


def _close_thread_connections(**kwargs: Any) -> None:
    connections.close_all()


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


ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def celery_worker_process(app_module: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process (prefork, one child) on the test database, with `env`
    added to its environment; terminated (or killed) on the way out."""
    needs_real_services()
    db = connection.settings_dict
    log_path = os.environ.get("REHAB_TEST_WORKER_LOG")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app_module,
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_SETTINGS_MODULE": "rehab.settings",
            **env,
        },
        # REHAB_TEST_WORKER_LOG=path keeps the workers' output, to see why a test failed.
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
