"""What every REST endpoint shares: the error body, pagination, role checks, Idempotency-Key
handling. (The schema class that documents them is in rehab/api_schema.py: drf-spectacular
imports DRF's generics, which import this module for the pagination class.)

Errors: every error, whatever raised it, is the same JSON body
`{"code": "...", "message": "...", "fields": {"name": ["message", ...]}}` (ErrorOutput).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from time import monotonic
from typing import Any, ClassVar, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from rehab.api_parsers import RequestTooLarge
from rehab.exceptions import DomainError
from rehab.limits import Bounds
from rehab.models import IdempotencyKey
from rehab.retention import CHUNK, Pruned

logger = logging.getLogger(__name__)

# --- The error body -----------------------------------------------------------------------


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: e.g. invalid, conflict.")
    message = serializers.CharField(help_text="A sentence a person can read.")
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages; nested fields as dotted paths (exercises.0.sets_done).",
    )


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


# The database could not be reached or the connection was lost mid-request (a restart, a
# failover, a network blip): a 503 the client can retry, never a 500 with a traceback.
# Offline records replay on their client_uuid, so a retry never stores a record twice.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "The service cannot reach its database just now; please try again shortly."
RETRY_AFTER_SECONDS = 5


def database_unavailable_response(request: Any) -> Response:
    logger.warning("Database unavailable during %s", getattr(request, "path", "?"))
    return Response(
        error_body("unavailable", UNAVAILABLE_MESSAGE),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# Domain codes that are not "bad input" (400).
DOMAIN_STATUS = {
    "conflict": status.HTTP_409_CONFLICT,
    # A valid log the programme's current state refuses (a red flag is unresolved): the same
    # request succeeds once a clinician resolves it, so it is a conflict, not bad input.
    "programme_paused": status.HTTP_409_CONFLICT,
    "permission_denied": status.HTTP_403_FORBIDDEN,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors and DRF's exceptions to ErrorOutput with the right status.

    An unexpected exception is logged and answered with a JSON 500; Django's
    got_request_exception signal is still sent, so error reporting sees it and the test client
    re-raises it (a real bug fails its test loudly instead of hiding behind a 500)."""
    if isinstance(exc, DomainError):
        http_status = DOMAIN_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST)
        return Response(error_body(exc.code, exc.message, exc.fields), status=http_status)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return database_unavailable_response(context.get("request"))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # Django read a form body over the limit
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # e.g. too many form fields
        exc = exceptions.ParseError("The request could not be read.")
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.exception("Unhandled error in %s", getattr(request, "path", "?"))
        got_request_exception.send(sender=None, request=getattr(request, "_request", None))
        return Response(
            error_body("server_error", "Something went wrong on our side; please try again."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        response.data = error_body("invalid", "Please correct the highlighted fields.", fields)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(str(code), str(exc.detail))
    return response


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"a.0.b": [messages]}; top-level lists as non_field_errors."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(flatten_errors(value, f"{prefix}{key}."))
    elif (
        isinstance(detail, list) and detail and all(not isinstance(d, dict | list) for d in detail)
    ):
        out[prefix.rstrip(".") or "non_field_errors"] = [str(d) for d in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                out.update(flatten_errors(value, f"{prefix}{index}."))
    else:
        out[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return out


# --- Strict JSON input -------------------------------------------------------------------

# NUL (PostgreSQL refuses it in text and in jsonb) and unpaired UTF-16 surrogates ("\ud800":
# json.loads accepts the escape, but no database driver can encode it, nor can the JSON
# renderer echo it back in an error message). Refused in every value and key of API input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Contains a character that cannot be stored (NUL or an unpaired surrogate)."


def has_unstorable_text(value: Any) -> bool:
    """True if any text in `value` (strings, list items, object keys and values) has NUL or
    an unpaired surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# The JSON type each kind of input field takes. DRF is lenient by default (1 or "true" for a
# boolean, 7 for a text, false for a UUID); the API takes exactly what its schema says, so a
# client bug shows up as a 400 naming the field instead of a silently converted value.
_JSON_TYPES: list[tuple[type[serializers.Field], tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.ChoiceField, (str,), "text"),
    (serializers.CharField, (str,), "text"),
    (serializers.UUIDField, (str,), "a UUID as text"),
    (serializers.DateField, (str,), 'a date as text, "YYYY-MM-DD"'),
    (serializers.DateTimeField, (str,), "an ISO 8601 date-time as text"),
    (serializers.ListField, (list,), "a list"),
    (serializers.ListSerializer, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.Serializer, (dict,), "an object"),
]


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why `value` is the wrong JSON type for `field`, or None (null is left to the field)."""
    if value is None:
        return None
    for field_class, types, name in _JSON_TYPES:
        if isinstance(field, field_class):
            if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
                return None
            return f"Expected {name}."
    return None


def bounded(bounds: Bounds) -> serializers.IntegerField:
    """An optional whole number within `bounds` (rehab.limits), as the web form's field, with
    the web form's message."""
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=bounds.minimum,
        max_value=bounds.maximum,
        error_messages={"min_value": bounds.message, "max_value": bounds.message},
    )


class InputSerializer(serializers.Serializer):
    """Base for `...Input` serializers: every field (and list item) must already have the
    JSON type the schema gives it; DRF's coercions are not applied. No value (nor object key)
    may hold NUL or an unpaired surrogate (UNSTORABLE_MESSAGE); a nested serializer checks its
    own fields, and fields named in `checked_per_item` are left to whoever checks each item
    (the offline batch, where one bad record must not block the others)."""

    checked_per_item: ClassVar[tuple[str, ...]] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                value = data[name]
                message = json_type_error(field, value)
                child = getattr(field, "child", None)
                if message is None and child is not None and isinstance(value, list):
                    bad = [json_type_error(child, item) for item in value]
                    message = next((m for m in bad if m), None)
                unchecked = isinstance(field, serializers.BaseSerializer) or (
                    name in self.checked_per_item
                )
                if message is None and not unchecked and has_unstorable_text(value):
                    message = UNSTORABLE_MESSAGE
                if message:
                    errors[name] = [message]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


# --- Pagination ---------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """`?page=2&page_size=100`: 50 a page by default, at most 200 (a larger page_size is
    capped). A page or page_size that is not a whole number from 1 is a 400, not ignored."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and int(raw) >= 1):
            raise exceptions.ValidationError({"page_size": ["Use a whole number from 1."]})
        return super().get_page_size(request)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # DRF reads an empty or malformed ?page= as page 1; the schema says a whole number.
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isdigit() and int(raw) >= 1):
            raise exceptions.ValidationError({"page": ["Use a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)


@csrf_exempt  # answers every method with a 404; the CSRF check would answer a POST with 403
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The JSON 404 for a URL under /api/v1/ that matches nothing (or a malformed id)."""
    return JsonResponse(error_body("not_found", "Not found."), status=404)


# --- Roles --------------------------------------------------------------------------------


class _Role(BasePermission):
    """Function-level authorisation, one rule everywhere: a caller without the role gets 403
    on a collection URL, and 404 on an object URL (any URL with an id or slug), so a URL never
    confirms that an object exists. Object visibility itself is decided in the selectors."""

    attribute = ""
    message = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(request.user, self.attribute, None) is not None:
            return True
        if view.kwargs:
            raise exceptions.NotFound()
        return False


class IsPatient(_Role):
    attribute = "patient"
    message = "This is for patients' accounts."


class IsTherapist(_Role):
    attribute = "therapist"
    message = "This is for therapists' accounts."


# --- Idempotency-Key ----------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
# A structured-field string (the IETF draft): printable ASCII, here at most 255 characters.
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")


def prune_idempotency_keys(*, now: datetime, budget: timedelta | None = None) -> Pruned:
    """Delete the keys no longer honoured (made over IDEMPOTENCY_KEY_TTL ago): a range of
    their creation time's index, a chunk per statement, until none is left or `budget` is
    spent (checked between chunks)."""
    deadline = None if budget is None else monotonic() + budget.total_seconds()
    expired = IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_KEY_TTL)
    deleted = 0
    while ids := list(expired.order_by("created_at").values_list("pk", flat=True)[:CHUNK]):
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
        if deadline is not None and monotonic() > deadline:
            return Pruned(deleted, finished=len(ids) < CHUNK)
    return Pruned(deleted, finished=True)


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Honour an optional `Idempotency-Key` header on a POST handler (Stripe / IETF draft).

    First use: the key row is inserted in the same transaction as the handler's writes and
    holds the response, so it exists exactly when the writes do. A retry with the same key
    and body gets the stored status and body back with `Idempotent-Replayed: true`; the same
    key with another body or URL is a 422. Two concurrent requests with one key cannot both
    run: the unique (user, key) index makes the second insert wait for the first transaction
    and then fail, and it replays the first's stored response. An error response stores
    nothing (the transaction rolls back), so a corrected retry may reuse the key. Keys are
    honoured for 24 hours (IDEMPOTENCY_KEY_TTL), then treated as new."""

    @wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _IDEMPOTENCY_KEY.fullmatch(key):  # a NUL in the key was a 500 on PostgreSQL
            raise exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: ["Use 1 to 255 printable ASCII characters."]}
            )
        now = timezone.now()
        user = cast(Any, request.user)  # authenticated: the view's permissions ran first
        digest = hashlib.sha256(
            json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                user=user, key=key, created_at__lt=now - IDEMPOTENCY_KEY_TTL
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        method=request.method or "",
                        path=request.path,
                        request_hash=digest,
                        created_at=now,
                    )
            except IntegrityError:
                return _replay(request, key, digest)
            response = handler(view, request, *args, **kwargs)
            record.response_status = response.status_code
            record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
            record.save(update_fields=["response_status", "response_body"])
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def _replay(request: Request, key: str, digest: str) -> Response:
    record = IdempotencyKey.objects.get(user=cast(Any, request.user), key=key)
    if (record.request_hash, record.path, record.method) != (digest, request.path, request.method):
        return Response(
            error_body(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request.",
                {IDEMPOTENCY_HEADER: ["Already used with another body or URL."]},
            ),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if record.response_status is None:  # not reachable while rows commit with their response
        return Response(
            error_body("request_in_progress", "The first request with this key is still running."),
            status=status.HTTP_409_CONFLICT,
        )
    return Response(
        record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"}
    )


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """The request body checked by an `...Input` serializer (a 400 with field errors if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def schema_generation(view: APIView) -> bool:
    """True while drf-spectacular inspects a view (no real user: lists must not query)."""
    return getattr(view, "swagger_fake_view", False)
