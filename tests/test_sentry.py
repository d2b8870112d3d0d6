"""Error reports (issue 18): with SENTRY_DSN set, an error is reported with what a developer
needs and nothing about the patient. A transport that keeps envelopes instead of sending them
shows exactly what would leave the clinic (no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client, RequestFactory
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from rehab.sentry import SCRUBBED, init_sentry, scrub
from tests.factories import web_client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.error_urls")]


class KeptEnvelopes(Transport):
    envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def reported() -> Iterator[None]:
    KeptEnvelopes.envelopes = []
    init_sentry(
        dsn="https://public@sentry.example.invalid/1", environment="test", transport=KeptEnvelopes
    )
    yield
    # Reporting off again for the rest of the suite, as without SENTRY_DSN.
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def sent_events() -> list[dict[str, Any]]:
    sentry_sdk.flush()
    return [e.get_event() for e in KeptEnvelopes.envelopes if e.get_event() is not None]


def through_the_wsgi_handler(request: Any) -> str:
    """Serve `request` as gunicorn would (Django's WSGI handler, where Sentry's Django
    integration reads the request), not through the test client; the status line."""
    statuses: list[str] = []
    # As the test client does: keep the test's database connection across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        WSGIHandler()(request.environ, lambda status, headers, *exc: statuses.append(status))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return statuses[0]


def test_an_error_report_carries_the_error_and_ids_but_no_patient_data(
    reported: Any, patient: Any
) -> None:
    user = patient.user
    user.first_name, user.last_name = "Zebedee", "Quixotic"
    user.email = "zebedee@example.org"
    user.save()
    session_cookie = web_client_for(user).cookies["sessionid"].value
    request = RequestFactory().post(
        "/fail/?note=Zebedee+limps",
        {"skip_reason": "Zebedee Quixotic was ill", "password": "hunter2-secret"},
        headers={
            "Authorization": "Token 0123456789abcdef-secret-token",
            "Cookie": f"sessionid={session_cookie}",
            "X-Request-ID": "proxy-request-0001",
            "Referer": "https://rehab.example.org/patients/zebedee/",
        },
    )
    assert through_the_wsgi_handler(request).startswith("500")

    [event] = sent_events()
    text = json.dumps(event)
    # What a developer needs: the error, where, and which request.
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["exception"]["values"][0]["stacktrace"]["frames"]
    assert event["tags"]["request_id"] == "proxy-request-0001"
    assert event["request"]["url"].endswith("/fail/")
    assert event["request"]["method"] == "POST"
    # Nothing that identifies the patient or would let anyone act as them.
    for secret in (
        "Zebedee",
        "Quixotic",
        "zebedee@example.org",
        user.username,
        "hunter2-secret",
        "secret-token",
        session_cookie,
        "limps",
    ):
        assert secret not in text, secret
    assert event["request"].get("data") in (None, SCRUBBED)
    assert event["request"].get("cookies") in (None, SCRUBBED)
    assert event["request"].get("query_string") in (None, SCRUBBED)
    headers = {k.lower() for k in event["request"]["headers"]}
    assert not headers & {"authorization", "cookie", "referer"}
    assert set(event.get("user", {})) <= {"id"}
    for exception in event["exception"]["values"]:
        for frame in exception["stacktrace"]["frames"]:
            assert "vars" not in frame


def test_without_a_dsn_nothing_is_reported() -> None:
    assert not sentry_sdk.get_client().is_active()
    client = Client(raise_request_exception=False)
    assert client.post("/fail/").status_code == 500


def test_the_scrubber_strips_whatever_an_integration_adds() -> None:
    """before_send, on an event carrying everything the SDK could collect."""
    event = {
        "request": {
            "url": "https://rehab.example.org/today/?name=Zebedee",
            "data": {"skip_reason": "Zebedee was ill"},
            "cookies": {"sessionid": "abc"},
            "query_string": "name=Zebedee",
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "headers": {"Authorization": "Token x", "Cookie": "sessionid=abc", "Accept": "*/*"},
        },
        "user": {"id": "42", "email": "z@example.org", "username": "zebedee", "ip_address": "1"},
        "breadcrumbs": {"values": [{"category": "query", "data": {"db.params": ["Zebedee"]}}]},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"name": "Zebedee"}}]}}]},
        "extra": {"patient": "Zebedee"},
    }
    scrubbed = scrub(event, {})
    assert "Zebedee" not in json.dumps(scrubbed)
    assert scrubbed["request"]["url"] == "https://rehab.example.org/today/"
    assert scrubbed["request"]["headers"] == {"Accept": "*/*"}
    assert scrubbed["user"] == {"id": "42"}
