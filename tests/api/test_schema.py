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
            if path not in ("/api/v1/auth/login/", "/api/v1/auth/login/code/"):
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


def _schema() -> dict[str, Any]:
    out = StringIO()
    call_command("spectacular", stdout=out, stderr=StringIO())
    schema: dict[str, Any] = yaml.safe_load(out.getvalue())
    return schema


def test_a_patch_body_has_no_defaults(db: None) -> None:
    """A generated client sends every default it is given: a PATCH body with `status: done`
    as a default would turn a skipped session into a done one when only its pain changes."""
    schema = _schema()
    patch = schema["paths"]["/api/v1/sessions/{id}/"]["patch"]["requestBody"]
    ref = patch["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    patched = {name: s for name, s in schema["components"]["schemas"].items() if "Patched" in name}
    assert ref in patched
    for name, component in patched.items():
        assert not component.get("required"), name
        for field, prop in component.get("properties", {}).items():
            assert "default" not in prop, (name, field)
    # PUT keeps its defaults: a replacement that leaves out skip_reason means "no reason".
    put = schema["paths"]["/api/v1/sessions/{id}/"]["put"]["requestBody"]
    put_ref = put["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][put_ref]["properties"]["status"]["default"] == "done"


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]


def test_every_operation_documents_the_503_and_each_429_with_retry_after(db: None) -> None:
    schema = _schema()
    throttled = 0
    for path, method, operation in _operations(schema):
        for code in ("503", "429"):
            response = operation["responses"].get(code)
            if response is None:
                assert code == "429", (method, path)
                continue
            throttled += code == "429"
            assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
            body = response["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOutput"}, (method, path, code)
    assert throttled >= 2  # login and sync


def test_a_replayable_post_documents_idempotent_replayed_on_its_200(db: None) -> None:
    schema = _schema()
    for path in ("/api/v1/sessions/", "/api/v1/check-ins/", "/api/v1/caseload/"):
        post = schema["paths"][path]["post"]
        success = "200" if "200" in post["responses"] else "201"
        assert "Idempotent-Replayed" in post["responses"][success]["headers"], path
    caseload = schema["paths"]["/api/v1/caseload/"]["post"]["parameters"]
    key = next(p for p in caseload if p["name"] == "Idempotency-Key")
    assert key["schema"]["pattern"] == "^[\\x20-\\x7e]{1,255}$"
    assert key["schema"]["maxLength"] == 255


def test_the_schema_states_the_limits_the_server_enforces(db: None) -> None:
    schema = _schema()
    sessions = schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]
    page = next(p for p in sessions if p["name"] == "page")
    assert page["schema"]["minimum"] == 1
    components = schema["components"]["schemas"]
    # Only what a check-in can ask (tests/api/test_patient_api.py: the questions served).
    assert "sudden_pop" in components["RedFlagsEnum"]["enum"]
    assert "cauda_equina_signs" not in components["RedFlagsEnum"]["enum"]
    assert "reminder:session" in components["NotificationKindEnum"]["enum"]
    assert components["UrgencyEnum"]["enum"] == ["routine", "soon", "urgent", "emergency"]


def test_login_needs_no_credentials(db: None) -> None:
    schema = _schema()
    assert schema["paths"]["/api/v1/auth/login/"]["post"]["security"] == []


def test_output_fields_the_server_always_sends_are_required(db: None) -> None:
    components = _schema()["components"]["schemas"]
    log = components["SessionLogOutput"]
    assert {"status", "skip_reason", "pain_after_nrs"} <= set(log["required"])
    assert {"next", "previous"} <= set(components["PaginatedSessionLogOutputList"]["required"])
    result = components["SyncResultOutput"]
    assert "reported_late" in result["required"]
    assert "id" not in result["required"]  # not for a rejected record
