"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). DRF resolves that
setting while importing its views, so this module must not import them (rehab/api.py does)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers, status
from rest_framework.utils.json import strict_constant

# Deeper than any body the API takes (a sync batch is 5 levels: records → record → exercises
# → entry), far below the depth at which json.loads gives up with a RecursionError.
MAX_JSON_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than {limit / 2**20:g} MiB; send less.")


class JsonParser(parsers.JSONParser):
    """DRF's JSON parser (no NaN or Infinity) with limits, so that a hostile body is a 4xx:

    - more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes → 413 (DRF streams the body to the parser,
      past the limit Django applies to `request.body`), checked before reading and while;
    - a charset other than UTF-8 → 415 (JSON is UTF-8, RFC 8259; DRF would decode the body
      with any codec named, zlib or rot13 included, and crash);
    - not UTF-8, malformed, or nested deeper than MAX_JSON_DEPTH → 400 parse_error (10,000
      nested brackets made json.loads raise RecursionError, a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        _, params = parse_header_parameters(media_type or "")
        if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            raise exceptions.UnsupportedMediaType(
                "application/json", detail="Send JSON encoded as UTF-8 (charset=utf-8)."
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = getattr(request, "META", {}).get("CONTENT_LENGTH") or "0"
        if limit is not None and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge()
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError("JSON parse error - the body is not UTF-8.") from None
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
            too_deep = json_depth(data) > MAX_JSON_DEPTH
        except RecursionError:
            too_deep = True
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if too_deep:
            raise exceptions.ParseError(
                f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."
            )
        return data


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in parsed JSON (a scalar is 0, `{}` is 1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest
