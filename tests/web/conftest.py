"""Web-page tests: logged-in clients for the cast (tests/conftest.py), on the frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import web_client_for


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """Every web test runs at NOW."""


@pytest.fixture
def therapist_client(therapist: Any) -> Client:
    return web_client_for(therapist.user)


@pytest.fixture
def patient_client(patient: Any) -> Client:
    return web_client_for(patient.user)


@pytest.fixture
def stranger_client(stranger: Any) -> Client:
    return web_client_for(stranger.user)


@pytest.fixture
def colleague_client(colleague: Any) -> Client:
    return web_client_for(colleague.user)


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
