"""The cast for web-page tests: a therapist with a patient on a mid-portion Achilles
programme, a colleague with a patient of their own, and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests import factories

STARTED = date(2026, 11, 2)  # a Monday
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday of week 3, 09:00 in London


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def programme(patient: Any) -> Any:
    return factories.prescribe(patient, started_on=STARTED)


@pytest.fixture
def stranger(colleague: Any) -> Any:
    """A patient on another therapist's caseload, with a programme."""
    other = factories.PatientFactory(therapist=colleague)
    factories.prescribe(other, started_on=STARTED)
    return other


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def therapist_client(therapist: Any) -> Client:
    return client_for(therapist.user)


@pytest.fixture
def patient_client(patient: Any) -> Client:
    return client_for(patient.user)


@pytest.fixture
def stranger_client(stranger: Any) -> Client:
    return client_for(stranger.user)


@pytest.fixture
def colleague_client(colleague: Any) -> Client:
    return client_for(colleague.user)


def session_form(client: Client, slot: int = 1, **overrides: Any) -> dict[str, Any]:
    """The log-session form for `slot` as the page offers it, filled in: pain after 3/10,
    pain during 2/10 for each exercise."""
    response = client.get(reverse("log_session", args=[slot]))
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data["pain_after_nrs"] = "3"
    for name in form.fields:
        if name.endswith("-pain_during_nrs"):
            data[name] = "2"
    return data | overrides
