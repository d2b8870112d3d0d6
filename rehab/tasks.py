"""How every clinical Celery task behaves: late acknowledgement, retries for transient errors
only, time limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

from celery import Task, shared_task
from django.db import OperationalError
from django.utils import timezone

from rehab.health import write_beat_heartbeat

P = ParamSpec("P")

# Retry only what can pass by itself: a database connection blip, a mail server hiccup.
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


def clinical_task(
    *, name: str, time_limit: int = 60
) -> Callable[[Callable[P, None]], Task[P, None]]:
    """A late-acknowledged task that retries only transient errors, with time limits.

    `name` is the wire name the beat schedule and queued messages use: explicit, so moving a
    task to another module never orphans a message already in Redis."""
    return shared_task(
        name=name,
        autoretry_for=TRANSIENT,
        retry_backoff=True,
        retry_backoff_max=60,  # well under the Redis visibility timeout: a retry is an ETA
        retry_jitter=True,
        max_retries=5,
        acks_late=True,
        soft_time_limit=time_limit - 5,
        time_limit=time_limit,
    )


@clinical_task(name="rehab.beat_heartbeat", time_limit=30)
def beat_heartbeat() -> None:
    """Every 30 s from beat: proves beat, the broker, a worker and the cache all work
    (`/health/ready` reads it; rehab/health.py)."""
    write_beat_heartbeat(now_s=timezone.now().timestamp())
