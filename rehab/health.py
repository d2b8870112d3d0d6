"""Health endpoints for load balancers and monitoring (issue 18).

- `/health/live`: the process answers. No checks, no detail, no authentication: a load balancer
  or supervisor restarts a process that stops answering this.
- `/health/ready`: may this process take traffic, and is the system around it working? The
  database answers, every migration is applied, the Celery broker (Redis) accepts a
  connection, and the beat heartbeat is under `BEAT_HEARTBEAT_MAX_AGE_S` old. 200
  `{"status": "ready"}` or 503 `{"status": "not ready"}`; each check's result (e.g. the
  heartbeat "stale (300 s)") only for a monitoring host: a client address in
  REHAB_HEALTH_ADDRESSES, or `Authorization: Bearer <REHAB_HEALTH_TOKEN>`. Never an error
  message (it could name hosts).

The heartbeat (`rehab.tasks.beat_heartbeat`, every 30 s) travels beat → broker → a worker →
the cache, so a fresh one says that all three work. It is read from Django's cache, which
production keeps in Redis, shared by every process; with a per-process cache (a laptop, the
tests) another process's heartbeat cannot be seen and the check says "not checked".
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from rehab.audit import client_address

logger = logging.getLogger(__name__)

BEAT_HEARTBEAT_KEY = "beat-heartbeat"
BEAT_HEARTBEAT_MAX_AGE_S = 120
BROKER_TIMEOUT_S = 2
# Django caches that each process keeps to itself: a heartbeat written by a worker is not there.
PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")


def write_beat_heartbeat(*, now_s: float) -> None:
    """Record that a beat-scheduled task reached a worker at `now_s` (a Unix time)."""
    cache.set(BEAT_HEARTBEAT_KEY, now_s, timeout=24 * 3600)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not unapplied else "unapplied"


def _broker() -> str:
    """Connect to the broker the settings name (Redis in production), within a short timeout."""
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=BROKER_TIMEOUT_S,
    ) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S
        )
    return "ok"


def beat_heartbeat_age_s(*, now_s: float) -> float | None:
    """Seconds since the last heartbeat, or None if there is none."""
    last = cache.get(BEAT_HEARTBEAT_KEY)
    return None if last is None else max(0.0, now_s - float(last))


def _beat() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(PER_PROCESS_CACHES):
        return "not checked"
    age_s = beat_heartbeat_age_s(now_s=timezone.now().timestamp())
    if age_s is None:
        return "missing"
    return "ok" if age_s <= BEAT_HEARTBEAT_MAX_AGE_S else f"stale ({round(age_s)} s)"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "migrations": _migrations,
    "broker": _broker,
    "beat": _beat,
}
PASSING = {"ok", "not checked"}


def readiness() -> dict[str, str]:
    """Each check's result: "ok", "not checked", or what is wrong ("failed" for an error)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("health: %s check failed (%s)", name, type(exc).__name__)
            results[name] = "failed"
    return results


def _is_monitoring_host(request: HttpRequest) -> bool:
    token = settings.REHAB_HEALTH_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return client_address(request) in settings.REHAB_HEALTH_ADDRESSES


@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    results = readiness()
    is_ready = all(result in PASSING for result in results.values())
    body: dict[str, object] = {"status": "ready" if is_ready else "not ready"}
    if _is_monitoring_host(request):
        body["checks"] = results
    return JsonResponse(body, status=200 if is_ready else 503)
