"""The OpenAPI schema class: drf-spectacular's AutoSchema plus the shared error responses
and the Idempotency-Key header, so the schema lists every status a client can meet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny

from rehab.api import IDEMPOTENCY_HEADER, ErrorOutput

ERROR_EXAMPLES = {
    "400": ("invalid", "Please correct the highlighted fields.", {"slot": ["Must be 1 to 6."]}),
    "401": ("not_authenticated", "Authentication credentials were not provided.", {}),
    "403": ("permission_denied", "You do not have permission to perform this action.", {}),
    "404": ("not_found", "Not found.", {}),
    "409": ("conflict", "This record was already sent with different content.", {}),
    "413": ("request_too_large", "The request body is larger than 2.5 MiB; send less.", {}),
    "415": ("unsupported_media_type", "Send JSON encoded as UTF-8 (charset=utf-8).", {}),
    "422": ("idempotency_key_reused", "This Idempotency-Key was already used …", {}),
    "429": ("throttled", "Request was throttled. Expected available in 42 seconds.", {}),
}


def _error(code: str, description: str) -> OpenApiResponse:
    name, message, fields = ERROR_EXAMPLES[code]
    example = {"code": name, "message": message, "fields": fields}
    return OpenApiResponse(
        ErrorOutput,
        description=description,
        examples=[OpenApiExample(name, value=example, status_codes=[code], response_only=True)],
    )


class ApiSchema(AutoSchema):
    """Documents the shared error responses on every operation, so the schema lists each
    status a client can meet (and schemathesis can hold the API to it)."""

    def _error_statuses(self) -> Iterable[tuple[str, str]]:
        method = self.method.upper()
        handler = getattr(self.view, method.lower(), None)
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        yield "400", "Bad input: `fields` names each problem."
        if not public:
            yield "401", "No valid token or session."
            yield "403", "Not allowed for this account."
        if "{" in self.path or self._is_list_view() or method != "GET":
            yield "404", "Not found, or not yours."
        if method in ("POST", "PUT", "PATCH"):
            yield "413", "The body is larger than the limit (2.5 MiB)."
            yield "415", "Not a JSON body in UTF-8."
        if getattr(handler, "idempotent", False):
            yield "409", "A request with this Idempotency-Key is still running."
            yield "422", "This Idempotency-Key was used for a different request."
        if getattr(self.view, "throttle_scope", None):
            yield "429", "Too many requests; see Retry-After."

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_statuses():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    _error(code, description), code, direction=direction
                )
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "idempotent", False):
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Optional. A new UUID per logical request; a retry with the "
                    "same key and body replays the first response (kept 24 hours).",
                )
            )
        return parameters


class TokenScheme(KnoxTokenScheme):
    """The knox token scheme for our subclass (rehab.authentication.TokenAuthentication)."""

    target_class = "rehab.authentication.TokenAuthentication"


# Method name ("get", "post", …) → its extend_schema, for @extend_schema_view(**...).
Methods = dict[str, Any]


EXAMPLE_UUID = "3f2b8c1e-6a4d-4f7e-9b1a-2c5d8e9f0a1b"


CONFLICT = OpenApiResponse(ErrorOutput, description="This client_uuid was sent with other content.")
