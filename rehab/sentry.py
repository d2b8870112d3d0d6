"""Error reports to Sentry, or any server that speaks its protocol, when SENTRY_DSN is set.

What leaves the clinic is the error, where it happened and ids, never what a patient wrote or
who they are: no request bodies, cookies, query strings or headers beyond a few harmless ones,
no local variables of the stack frames, no user but the id, no SQL parameters; and the
request id (X-Request-ID) as a tag, to find the matching log lines. The SDK is told to collect
none of it (`data_collection`), and `scrub` (before_send) removes it from every event whatever
an integration adds. tests/test_sentry.py shows an event as it would be sent.
"""

from __future__ import annotations

from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint

from rehab.audit import REQUEST_ID_HEADER, request_id

SCRUBBED = "[scrubbed]"
# Request headers an error report may keep; every other one (Authorization, Cookie,
# X-Forwarded-For, Referer, …) is dropped.
KEPT_HEADERS = {"accept", "content-length", "content-type", "host", REQUEST_ID_HEADER.lower()}


def scrub(event: Event, hint: Hint) -> Event:
    """before_send: strip every event down to what may leave the clinic."""
    return cast(Event, _scrub(cast(dict[str, Any], event)))


def _scrub(event: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            if key in request:
                request[key] = SCRUBBED
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)  # SQL parameters, URLs with query strings
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    event.pop("extra", None)
    current = request_id()
    if current:
        event.setdefault("tags", {})["request_id"] = current
    return event


def init_sentry(*, dsn: str, environment: str, transport: Any = None) -> None:
    """Called by the settings when SENTRY_DSN is set (every process: web, worker, beat)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # Nothing personal collected to begin with (this SDK's successor to
        # send_default_pii=False, which it deprecates); `scrub` removes anything that slips in.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        before_send=scrub,
        before_send_transaction=lambda event, hint: None,  # errors only, no performance data
        traces_sample_rate=0,
        transport=transport,
    )
