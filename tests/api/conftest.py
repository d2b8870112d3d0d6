"""API tests: device-token clients for the cast (tests/conftest.py), on the frozen clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, connections
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import api_client_for, current_items


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """Every API test runs at NOW, week 3 of the cast's programmes."""


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    # Throttle counters live in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def as_patient(patient: Any, programme: Any) -> APIClient:
    return api_client_for(patient.user)


@pytest.fixture
def as_therapist(therapist: Any) -> APIClient:
    return api_client_for(therapist.user)


@pytest.fixture
def as_stranger(stranger: Any) -> APIClient:
    return api_client_for(stranger.user)


@pytest.fixture
def as_colleague(colleague: Any) -> APIClient:
    return api_client_for(colleague.user)


def local_today(patient: Any) -> date:
    return timezone.now().astimezone(patient.zone).date()


def session_body(patient: Any, programme: Any, **overrides: Any) -> dict[str, Any]:
    """A valid session-log body for today's first slot."""
    item = current_items(programme)[0]
    body = {
        "client_uuid": "3f2b8c1e-6a4d-4f7e-9b1a-2c5d8e9f0a1b",
        "local_date": local_today(patient).isoformat(),
        "slot": 1,
        "status": "done",
        "pain_after_nrs": 3,
        "exercises": [{"item_key": str(item.key), "sets_done": 3, "pain_during_nrs": 2}],
        "logged_at": "2026-11-03T08:25:00-05:00",
    }
    return body | overrides


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """Requests reach Django's WSGI handler directly (not through its test client), whose
    request signals would close the connection holding the test's transaction on PostgreSQL;
    detach them for the test, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def shared_database(loaded_catalogue: None, tmp_path: Path) -> Iterator[None]:
    """A database that threads (each with its own connection) can write concurrently.

    PostgreSQL: the test database as it is. SQLite: the test database lives in memory with a
    shared cache, where one connection's write makes the others fail at once ("database
    table is locked") instead of waiting as they do on the real file database (WAL,
    IMMEDIATE transactions, timeout 20 s; rehab/settings.py). So for this test it is copied
    to a file, with the real settings, and put back afterwards."""
    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connection.settings_dict
    memory_name = settings_dict["NAME"]
    keeper = sqlite3.connect(memory_name, uri=True)  # keeps the in-memory database alive
    connection.ensure_connection()
    copy = sqlite3.connect(tmp_path / "shared.sqlite3")
    connection.connection.backup(copy)
    copy.close()
    settings_dict["NAME"] = str(tmp_path / "shared.sqlite3")
    connection.close()
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()
