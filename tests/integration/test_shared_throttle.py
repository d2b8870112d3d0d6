"""Throttles are shared by every process in production (issue 14): the production settings put
Django's cache in Redis, so two gunicorn workers allow a client the rate once, not twice.

Two real processes hit the same throttle scope, each as many times as the whole rate: the
first passes the rate, the second nothing. With the per-process memory cache (what laptops and
tests use) each would pass its own full rate and the total would be twice it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from rehab.settings import redis_cache

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

# Runs in each child process: Django set up with the test settings but the production cache,
# one throttle (the sync scope), `attempts` requests from the same client address.
CHILD = """
import json, sys
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

class View:
    throttle_scope = "sync"

allowed = 0
for _ in range(int(sys.argv[1])):
    request = Request(RequestFactory().post("/api/v1/sync/", REMOTE_ADDR="203.0.113.7"))
    if ScopedRateThrottle().allow_request(request, View()):
        allowed += 1
print(json.dumps({"allowed": allowed}))
"""


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis"):
        if os.environ.get("CI"):
            pytest.fail("CI must provide REDIS_URL")
        pytest.skip("needs Redis (REDIS_URL)")
    return url


def _run_two(cache: dict[str, object], attempts: int) -> list[int]:
    # A settings module of its own for the children: the test settings plus `cache`.
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.integration.cache_settings",
        "REHAB_TEST_CACHE": json.dumps(cache),
    }
    # One after the other: DRF's throttle reads then writes its history (not atomic), so
    # what is under test is that the second process sees the first one's requests.
    counts = []
    for _ in range(2):
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(attempts)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == 0, child.stderr
        counts.append(json.loads(child.stdout.strip().splitlines()[-1])["allowed"])
    return counts


def test_two_processes_share_the_production_throttle() -> None:
    from django.conf import settings

    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["sync"].split("/")[0])
    # A key prefix of its own, so no other run's counts (or ours) leak in or out.
    cache = {**redis_cache(_redis_url()), "KEY_PREFIX": f"test-throttle-{uuid.uuid4()}"}
    assert _run_two(cache, attempts=rate) == [rate, 0]


def test_with_a_per_process_cache_each_process_would_allow_the_full_rate() -> None:
    """The control: what the shared cache prevents."""
    from django.conf import settings

    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["sync"].split("/")[0])
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert _run_two(local, attempts=rate) == [rate, rate]


def test_the_production_settings_put_the_cache_in_redis() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rehab.settings_production",
        "SECRET_KEY": "x" * 20 + "production-key-for-the-settings-test-only-0123456789",
        "ALLOWED_HOSTS": "rehab.example.org",
        "DEBUG": "false",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    env.pop("REHAB_CACHE_URL", None)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "import json; print(json.dumps(settings.CACHES['default']))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    cache = json.loads(out.stdout.strip().splitlines()[-1])
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/0"
