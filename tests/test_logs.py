"""Request ids and JSON log lines (issue 18): every line a request logs carries its id, the id
a reverse proxy gave it when well-formed, and the lines hold ids only."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from rehab.log_format import JsonFormatter, RequestIdFilter
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sent",
    ["0f8fad5b-d9cb-469f-a165-70867728950e", "a3f9c2e1b7d84f0e9a6b5c4d3e2f1a0b", "req:edge-1.2_3"],
)
def test_a_well_formed_request_id_from_the_proxy_is_kept(sent: str) -> None:
    response = Client().get("/health/live", headers={"X-Request-ID": sent})
    assert response["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent",
    ["", "short", "x" * 129, "id with spaces", 'forged"}\n{"level":"INFO', "-leading-dash"],
)
def test_a_missing_or_malformed_request_id_is_replaced_by_our_own(sent: str) -> None:
    response = Client().get("/health/live", headers={"X-Request-ID": sent})
    assert response["X-Request-ID"] != sent
    assert len(response["X-Request-ID"]) == 32
    int(response["X-Request-ID"], 16)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production handler's filter and formatter, on the root logger."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_line_a_request_logs_is_json_with_its_request_id(
    json_log: io.StringIO, patient: Any
) -> None:
    user = patient.user
    user.first_name, user.last_name = "Zebedee", "Quixotic"
    user.save()
    client = api_client_for(user)
    response = client.get(f"/api/v1/sessions/{uuid.uuid4()}/", HTTP_X_REQUEST_ID="edge-0000042")
    assert response.status_code == 404
    logging.getLogger("rehab.test").info("outside any request")

    logged = lines(json_log)
    not_found = [line for line in logged if line["logger"] == "django.request"]
    assert not_found, logged
    assert not_found[0] == {
        "time": not_found[0]["time"],
        "level": "WARNING",
        "logger": "django.request",
        "message": not_found[0]["message"],
        "request_id": "edge-0000042",
    }
    assert logged[-1]["request_id"] is None
    assert logged[-1]["message"] == "outside any request"
    text = json_log.getvalue()
    for private in ("Zebedee", "Quixotic", user.username, user.email):
        assert private not in text


def test_an_error_line_carries_the_traceback_in_one_json_object(json_log: io.StringIO) -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("rehab.test").exception("it failed")
    [line] = [entry for entry in lines(json_log) if entry["logger"] == "rehab.test"]
    assert line["level"] == "ERROR"
    assert line["message"] == "it failed"
    assert "ValueError: broken" in line["exception"]
