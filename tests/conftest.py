from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command

from programmes.knowledge import Catalogue
from programmes.selectors import build_catalogue, forget_catalogue
from tests import factories
from tests.factories import NOW, STARTED

# The processes the tests start (manage.py, Celery workers, gunicorn) inherit a key of their
# own: every process refuses the public development key while DEBUG is off, as the suite runs.
# The tests of that refusal start theirs without it.
os.environ.setdefault("SECRET_KEY", "rehab-test-run-" + secrets.token_urlsafe(40))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load the real catalogue once into the test database; tests run in transactions that
    roll back, so it stays as loaded. (A transactional_db test flushes it: such tests load it
    again with the `loaded_catalogue` fixture.)"""
    with django_db_blocker.unblock():
        call_command("load_catalogue", verbosity=0)


@pytest.hookimpl(trylast=True)  # after -k / -m deselection, so items[0] is one that runs
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run transactional tests last: they flush the database (and the catalogue loaded into
    it) when they finish, which would leave the tests after them without a catalogue."""

    def flushes(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("transaction"))

    items.sort(key=flushes)  # stable: the order within each group is kept
    # The autouse `catalogue` fixture reads the test database, which pytest-django sets up only
    # for the databases the selected tests use: without this a run of database-free tests alone
    # (e.g. tests/test_docs.py) would read the development database instead.
    if items and not items[0].get_closest_marker("django_db"):
        items[0].add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session", autouse=True)
def catalogue(django_db_setup: None, django_db_blocker: Any) -> Catalogue:
    """The catalogue snapshot the planner reads, built once from the loaded database."""
    with django_db_blocker.unblock():
        return build_catalogue()


@pytest.fixture(autouse=True)
def _fresh_catalogue_cache() -> Iterator[None]:
    # A test that edits a catalogue row refreshes the per-process snapshot; its transaction
    # then rolls back, so drop the snapshot after every test.
    yield
    forget_catalogue()


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    # Throttle counters (web and API sign-in) live in the cache, which outlives a test's
    # transaction; every test is on the same frozen clock, so they would add up across tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def loaded_catalogue(transactional_db: None) -> None:
    call_command("load_catalogue", verbosity=0)


# --- The cast -----------------------------------------------------------------------------
# A therapist with a patient on an Achilles mid-portion programme started on STARTED; a
# colleague (another therapist of the clinic, not this patient's) and a stranger (the
# colleague's patient, on a programme of their own) for who-may-see-whom tests.


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """The wall clock stopped at NOW (week 3 of a programme started on STARTED)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist(db: None) -> Any:
    return factories.TherapistFactory()


@pytest.fixture
def colleague(db: None) -> Any:
    """Another therapist in the clinic, with a caseload of their own."""
    return factories.TherapistFactory()


@pytest.fixture
def patient(therapist: Any) -> Any:
    """The therapist's patient (with the `programme` fixture: on an active programme)."""
    return factories.PatientFactory(therapist=therapist)


@pytest.fixture
def programme(patient: Any) -> Any:
    """The patient's active programme, started on STARTED."""
    return factories.prescribe(patient, started_on=STARTED)


@pytest.fixture
def stranger(colleague: Any) -> Any:
    """Another patient: the colleague's, on a programme of their own."""
    other = factories.PatientFactory(therapist=colleague)
    factories.prescribe(other, started_on=STARTED)
    return other
