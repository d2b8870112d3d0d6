"""What every benchmark shares: Django set-up on the bench database, the clock, the machine
description and the JSON results."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# Bench data never goes to the database CI and the test suite use, nor to Redis db 0.
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_SQLITE = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
FORBIDDEN_DATABASES = {"test", "postgres", "template0", "template1"}


def check_database_url(url: str) -> str:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme.startswith("postgres") and (
        name in FORBIDDEN_DATABASES or name.startswith("test")
    ):
        raise SystemExit(f"refusing to put bench data in the {name!r} database; use e.g. 'bench'")
    return url


def check_redis_url(url: str) -> str:
    if urlparse(url).path.strip("/") in {"", "0"}:
        raise SystemExit("refusing Redis db 0 (the tests use it); use e.g. redis://…/5")
    return url


def setup_django(database_url: str, redis_url: str = "") -> None:
    """Configure this process for the bench database (call before importing models)."""
    os.environ["DATABASE_URL"] = check_database_url(database_url)
    os.environ["REDIS_URL"] = check_redis_url(redis_url) if redis_url else ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("REHAB_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def bench_now(today: date) -> datetime:
    """Noon UTC on the bench's "today": the same local date from Los Angeles to Sydney, so
    every generated patient's local today is `today`."""
    return datetime.combine(today, clock(12, 0), tzinfo=UTC)


def default_today() -> date:
    return datetime.now(UTC).date()


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def cpu_meter() -> Iterator[Callable[[], dict[str, float | None]]]:
    """CPU seconds spent by this process and by its database server process meanwhile: on a
    machine shared with other jobs, wall time measures the queue for the cores as much as the
    work. The server's share is read from /proc (a PostgreSQL backend on this machine); None
    where it cannot be (SQLite runs in this process)."""
    from django.db import connection

    backend: int | None = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]

    def server() -> float | None:
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def own() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start_own, start_server = own(), server() if backend else None
    result: dict[str, float | None] = {}
    yield lambda: result
    end_server = server() if backend else None
    result["cpu_seconds"] = round(own() - start_own, 2)
    result["database_cpu_seconds"] = (
        round(end_server - start_server, 2)
        if end_server is not None and start_server is not None
        else None
    )


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    finished: list[float] = []
    yield lambda: finished[0] if finished else time.perf_counter() - started
    finished.append(time.perf_counter() - started)


def run_json(
    args: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 3600
) -> Any:
    """Run a bench module in a fresh process (so its peak memory is its own) and return the
    JSON object it prints on its last line of output."""
    completed = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({completed.returncode}):\n{completed.stderr[-4000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def emit(result: Mapping[str, Any]) -> None:
    """Print a child's result as one JSON line (the parent reads the last line)."""
    print(json.dumps(result, default=str), flush=True)  # noqa: T201


def write_result(name: str, result: Mapping[str, Any]) -> Path:
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str, sort_keys=False) + "\n")
    return path


def _command(*args: str) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def machine() -> dict[str, Any]:
    """The machine and software versions, for the results and the README."""
    from importlib.metadata import version

    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    os_name = ""
    os_release = Path("/etc/os-release")
    if os_release.exists():
        fields = dict(
            line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line
        )
        os_name = fields.get("PRETTY_NAME", "").strip('"')
    import sqlite3

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "os": os_name or platform.platform(),
        "python": platform.python_version(),
        **{name: version(name) for name in ("django", "celery", "kombu", "psycopg", "redis")},
        "gunicorn": version("gunicorn"),
        "djangorestframework": version("djangorestframework"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _command(
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"
        ),
        "redis_server": _command("redis-server", "--version"),
    }
