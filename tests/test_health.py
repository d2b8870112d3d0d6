"""/health/live and /health/ready (issue 18): for load balancers and monitoring hosts."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django.utils import timezone

from rehab.health import BEAT_HEARTBEAT_MAX_AGE_S, write_beat_heartbeat
from rehab.tasks import beat_heartbeat
from tests.factories import web_client_for

pytestmark = pytest.mark.django_db

TOKEN = "monitoring-token-for-the-tests-0123456789"
MONITOR = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # free, and nothing listens once closed


@pytest.fixture
def shared_cache(tmp_path: Path) -> Any:
    """A cache every process shares (production's is Redis), so the heartbeat can be read."""
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        },
        CELERY_BROKER_URL="memory://",
        CELERY_BROKER_TRANSPORT_OPTIONS={},
        REHAB_HEALTH_TOKEN=TOKEN,
    ):
        yield


def ready(client: Client | None = None, **headers: str) -> Any:
    return (client or Client()).get("/health/ready", **headers)


def test_live_answers_anyone_with_no_detail() -> None:
    response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_ready_when_everything_works_after_a_heartbeat_from_beat(shared_cache: None) -> None:
    before = ready(**MONITOR)
    assert before.status_code == 503  # no heartbeat yet: beat has never run
    assert before.json()["checks"]["beat"] == "missing"
    beat_heartbeat.apply().get()  # what beat sends every 30 s
    response = ready(**MONITOR)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "beat": "ok"},
    }


def test_a_stale_heartbeat_is_not_ready(shared_cache: None) -> None:
    now_s = timezone.now().timestamp()
    write_beat_heartbeat(now_s=now_s - BEAT_HEARTBEAT_MAX_AGE_S + 5)
    assert ready().status_code == 200
    write_beat_heartbeat(now_s=now_s - BEAT_HEARTBEAT_MAX_AGE_S - 5)
    response = ready(**MONITOR)
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == f"stale ({BEAT_HEARTBEAT_MAX_AGE_S + 5} s)"


def test_with_redis_gone_it_is_not_ready(shared_cache: None) -> None:
    """REDIS_URL pointing at a port where nothing listens, as when Redis has stopped: the broker
    and the cache (production keeps both in Redis) fail, quickly."""
    write_beat_heartbeat(now_s=timezone.now().timestamp())
    gone = f"redis://127.0.0.1:{closed_port()}/13"
    redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": gone}
    with override_settings(CELERY_BROKER_URL=gone, CACHES={"default": redis_cache}):
        response = ready(**MONITOR)
        anonymous = ready()
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "failed",
        "beat": "failed",
    }
    # Anyone else learns the status word alone.
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "not ready"}


def test_an_unapplied_migration_is_not_ready(shared_cache: None) -> None:
    write_beat_heartbeat(now_s=timezone.now().timestamp())
    latest = MigrationRecorder.Migration.objects.filter(app="patients").order_by("-id").first()
    assert latest is not None
    latest.delete()  # as if the release's migrate had not run (rolled back after the test)
    response = ready(**MONITOR)
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "unapplied"


def test_detail_only_for_the_token_or_a_listed_address(shared_cache: None, patient: Any) -> None:
    write_beat_heartbeat(now_s=timezone.now().timestamp())
    assert ready().json() == {"status": "ready"}
    assert ready(HTTP_AUTHORIZATION="Bearer wrong").json() == {"status": "ready"}
    assert ready(web_client_for(patient.user)).json() == {"status": "ready"}  # signed in: no
    with override_settings(REHAB_HEALTH_ADDRESSES=["10.0.0.5"]):
        assert "checks" in ready(Client(REMOTE_ADDR="10.0.0.5")).json()
        assert "checks" not in ready(Client(REMOTE_ADDR="10.0.0.6")).json()


def test_without_a_shared_cache_the_heartbeat_is_not_checked() -> None:
    """Laptops and tests keep a per-process cache: a worker's heartbeat is not visible here."""
    with override_settings(
        CELERY_BROKER_URL="memory://", CELERY_BROKER_TRANSPORT_OPTIONS={}, REHAB_HEALTH_TOKEN=TOKEN
    ):
        response = ready(**MONITOR)
    assert response.status_code == 200
    assert response.json()["checks"]["beat"] == "not checked"
