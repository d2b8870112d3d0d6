"""The cast for API tests: a patient on a programme with their therapist, a stranger (another
therapist's patient) and a colleague (another therapist), each with a real knox token."""

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
from knox.models import AuthToken
from rest_framework.test import APIClient

from programmes.models import ProgrammeItem
from tests import factories


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    # Throttle counters live in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


def client_for(user: Any) -> APIClient:
    """An API client holding a fresh device token for `user`."""
    _, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def programme(patient: Any) -> Any:
    return factories.prescribe(patient, started_on=date(2026, 11, 2))


@pytest.fixture
def as_patient(patient: Any, programme: Any) -> APIClient:
    return client_for(patient.user)


@pytest.fixture
def as_therapist(therapist: Any) -> APIClient:
    return client_for(therapist.user)


@pytest.fixture
def stranger(colleague: Any) -> Any:
    """Another therapist's patient, on a programme of their own."""
    other = factories.PatientFactory(therapist=colleague)
    factories.prescribe(other, started_on=date(2026, 11, 2))
    return other


@pytest.fixture
def as_stranger(stranger: Any) -> APIClient:
    return client_for(stranger.user)


@pytest.fixture
def as_colleague(colleague: Any) -> APIClient:
    return client_for(colleague.user)


def local_today(patient: Any) -> date:
    return timezone.now().astimezone(patient.zone).date()


def current_items(programme: Any) -> list[Any]:
    revision = programme.current_revision
    return list(
        ProgrammeItem.objects.filter(
            phase__revision=revision, phase__position=revision.current_phase
        ).select_related("exercise")
    )


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
