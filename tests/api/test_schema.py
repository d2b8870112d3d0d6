"""The OpenAPI contract: generated without warnings, served with local docs pages."""

from __future__ import annotations

from io import StringIO
from typing import Any

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient


def test_the_schema_generates_and_validates_without_warnings(db: None) -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=StringIO())
    schema = yaml.safe_load(out.getvalue())
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 35
    for operation in operations:
        assert operation.get("summary"), operation["operationId"]


def test_every_operation_documents_the_error_body(db: None) -> None:
    out = StringIO()
    call_command("spectacular", stdout=out, stderr=StringIO())
    schema = yaml.safe_load(out.getvalue())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)
            if path != "/api/v1/auth/login/":
                assert "401" in operation["responses"], (method, path)


def test_every_operation_has_an_example(db: None) -> None:
    out = StringIO()
    call_command("spectacular", stdout=out, stderr=StringIO())
    text = out.getvalue()
    schema = yaml.safe_load(text)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            bodies = [operation.get("requestBody", {})] + [
                response
                for status, response in operation["responses"].items()
                # Operations without a body either way (log out, delete) show their errors.
                if status.startswith("2")
                or status == "204"
                or method == "delete"
                or path.startswith("/api/v1/auth/logout")
            ]
            has_example = any(
                "examples" in media for body in bodies for media in body.get("content", {}).values()
            )
            assert has_example, (method, path)


def test_the_schema_and_docs_are_served(db: None) -> None:
    client = APIClient()
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # served from local static files (sidecar)
    assert client.get("/api/v1/redoc/").status_code == 200


def test_the_schema_names_token_authentication(db: None) -> None:
    out = StringIO()
    call_command("spectacular", stdout=out, stderr=StringIO())
    schemes: dict[str, Any] = yaml.safe_load(out.getvalue())["components"]["securitySchemes"]
    assert any(
        s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values()
    )
