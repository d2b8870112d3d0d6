"""One error body for every error: {"code", "message", "fields"}."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from rehab.api import flatten_errors


def test_malformed_json_is_a_400_not_a_500(as_patient: Any) -> None:
    response = as_patient.post(
        "/api/v1/sessions/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_form_body_is_a_415(as_patient: Any) -> None:
    response = as_patient.post("/api/v1/sessions/", data={"a": "b"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_wrong_method_is_a_405_in_the_same_body(as_patient: Any) -> None:
    response = as_patient.delete("/api/v1/today/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_list_body_where_an_object_is_expected_is_a_400(as_patient: Any) -> None:
    response = as_patient.post("/api/v1/check-ins/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["fields"]


def test_an_unknown_url_under_the_api_is_a_404(db: None) -> None:
    assert APIClient().get("/api/v1/nothing-here/").status_code == 404


@pytest.mark.parametrize(
    ("detail", "flat"),
    [
        ({"a": ["x"]}, {"a": ["x"]}),
        ({"a": {"b": ["x"]}}, {"a.b": ["x"]}),
        ({"items": [{}, {"n": ["x"]}]}, {"items.1.n": ["x"]}),
        (["x"], {"non_field_errors": ["x"]}),
    ],
)
def test_nested_field_errors_are_flattened_to_dotted_paths(detail: Any, flat: dict) -> None:
    assert flatten_errors(detail) == flat
