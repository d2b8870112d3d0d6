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


# --- Postprocessing: what holds for every operation, applied once to the whole schema -------


def strip_patch_defaults(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A PATCH body changes only what it carries, so its fields have no defaults: a client
    generated from a schema sends every default it is given (a PATCH of a skipped session's
    pain would also send `status: done` and turn it into a done one)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.startswith("Patched"):
            for prop in component.get("properties", {}).values():
                prop.pop("default", None)
    return result


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    }
}
REPLAYED_HEADER_SCHEMA = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same `client_uuid` or Idempotency-Key (nothing new was stored); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
# Descriptions of body schemas, written for API users (docstrings are for developers and are
# not used: DISABLE_DOCSTRING_DESCRIPTIONS). A request body's is also given to its
# `…Request` and `Patched…Request` components.
COMPONENT_DESCRIPTIONS = {
    "AdjustmentInput": "One change, stored as a new revision with its reason. Which fields "
    "a change needs depends on `change`: change_dose (item, dose), add_exercise (phase, "
    "exercise, dose optional), remove_exercise (item), swap_exercise (item, exercise, dose "
    "optional: left out, the new exercise's catalogue dose), move_phase (to_phase). Adding "
    "or swapping in a contraindicated exercise needs `override_reason`.",
    "IntakeInput": "What the clinician knows (`condition` is a slug from /conditions/). The "
    "screening answers are required: `swelling` and `recent_injury` always, the others when "
    "the condition needs them; a missing one is a 400 naming the field.",
    "ItemExerciseOutput": "`patient_cautions`: plain words for this programme's condition. "
    "`cautions` is the clinician's note; it is blank when a patient asks.",
    "MyProgrammeOutput": "The patient's own programme, with `paused`, so an app working "
    "offline from it stops offering sessions and ice/heat while a red flag is unresolved.",
    "PauseOutput": "Why the programme is paused: a red flag the patient reported that no "
    "clinician has resolved yet. While it lasts, Today's `sessions` and `ice_heat` are empty, "
    "a session log is refused with 409 `programme_paused`, and only the check-in goes on.",
    "PlanOutput": "The planner's answer: a programme, or a referral with its reasons.",
    "QuestionOutput": "A choice item (`choices`) or a number item (`minimum` to `maximum` "
    "in `unit`).",
    "DoseOutput": 'A dose: units are in the names; null or "" means the source gives no figure.',
    "SessionChangeInput": "What a session held: done (with the exercises) or skipped (with a "
    "reason). In a PATCH, only the fields sent change.",
    "SessionLogInput": "One session: done (with the exercises) or skipped (with a reason).",
    "MeUpdateInput": "Reminder preferences and time zone; send only what changes.",
    "PatientCreateInput": "A new patient on your caseload; without a password the account "
    "cannot log in until one is set (an invitation).",
    "PatientDetailOutput": "A patient on your caseload, with weekly trends, recent sessions "
    "and flags.",
    "ProgrammeItemOutput": "A prescribed exercise; `key` stays the same across revisions "
    "(log against it).",
    "ProgrammeOutput": "A programme with its current revision's phases, items and ice/heat.",
    "TodayOutput": "What is due on the patient's own date (their time zone), and what is "
    "already logged.",
    "CheckInQuestionsOutput": "The morning check-in as the web page asks it, with what to "
    "show after a yes.",
    "SyncInput": "An offline batch: each record is checked and stored on its own.",
    "SyncRecord": "One record of a batch; `type` says which POST body it follows.",
    "MeOutput": "The signed-in account; `patient` holds the profile and reminder preferences "
    "(null for a therapist).",
    "EndProgrammeInput": "Why the programme is ending (optional).",
    "SecondStepOutput": "The password was right and the account uses two-step sign-in: no "
    "token yet. Send `challenge` with a code to /auth/login/code/.",
    "LoginCodeInput": "The second step of a login: the challenge and a code.",
}


# Output fields the server leaves out when they do not apply (every other output field is
# always sent): a sync result's id (not for a rejected record) and its error (only then).
OPTIONAL_OUTPUT_FIELDS = {"SyncResultOutput": {"id", "code", "message", "fields"}}
UNAVAILABLE_EXAMPLE = {
    "code": "unavailable",
    "message": "The service cannot reach its database just now; please try again shortly.",
    "fields": {},
}
THROTTLED_EXAMPLE = {
    "code": "throttled",
    "message": "Request was throttled. Expected available in 42 seconds.",
    "fields": {},
}


def _error_response(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": dict(RETRY_AFTER_HEADER),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorOutput"},
                "examples": {example["code"].title(): {"value": example}},
            }
        },
    }


def document_shared_responses(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """What every operation shares, stated once for the whole schema: the 503 (with
    Retry-After) any request can meet while the database is unreachable, Retry-After on each
    429, `Idempotent-Replayed` on the 200 of a replayable POST, the limits the server enforces
    on shared parameters (page, page_size, Idempotency-Key), output fields that are always
    sent marked required, and the login that needs no credentials."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation["responses"]
            responses.setdefault(
                "503",
                _error_response(
                    "The database is briefly unreachable: retry after `Retry-After` seconds "
                    "(a record with a client_uuid or Idempotency-Key is never stored twice).",
                    UNAVAILABLE_EXAMPLE,
                ),
            )
            if "429" in responses:
                responses["429"].setdefault("headers", {}).update(RETRY_AFTER_HEADER)
            parameters = operation.get("parameters", [])
            names = {parameter["name"] for parameter in parameters}
            replayable = method == "post" and "201" in responses and "200" in responses
            if replayable or "Idempotency-Key" in names:
                for code in ("200", "201"):
                    if code in responses:
                        responses[code].setdefault("headers", {}).update(REPLAYED_HEADER_SCHEMA)
            for parameter in parameters:
                _limit_parameter(parameter)
            if operation.get("operationId") in ("auth_login_create", "auth_login_code_create"):
                operation["security"] = []  # username and password are the credentials
    for name, component in result.get("components", {}).get("schemas", {}).items():
        base = name.removeprefix("Patched").removesuffix("Request")
        if base in COMPONENT_DESCRIPTIONS:
            component["description"] = COMPONENT_DESCRIPTIONS[base]
        if name.endswith("Request") or name.startswith("Patched"):
            continue
        properties = component.get("properties")
        if component.get("type") == "object" and properties:
            optional = OPTIONAL_OUTPUT_FIELDS.get(name, set())
            component["required"] = [field for field in properties if field not in optional]
    return result


def _limit_parameter(parameter: dict[str, Any]) -> None:
    schema = parameter.setdefault("schema", {})
    name = parameter["name"]
    if name in ("page", "page_size") and parameter["in"] == "query":
        schema["minimum"] = 1
        if name == "page_size":
            parameter["description"] = "Results per page: 50 by default, at most 200."
        else:
            parameter["description"] = "A page number from 1 (past the last page: 404)."
    elif name == IDEMPOTENCY_HEADER:
        schema.update({"pattern": "^[\\x20-\\x7e]{1,255}$", "minLength": 1, "maxLength": 255})
