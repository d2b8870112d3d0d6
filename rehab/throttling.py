"""Rate limits on signing in, per client address, for the API and the web alike.

The rates have one home, `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` in the settings, and one
counter per scope and address in Django's cache (Redis in production, so every process shares
it): the token login (`rehab.api_auth.LoginApi`), the web sign-in and the admin's sign-in all
count against `login`, so 10 tries a minute from one address is 10 in all, whichever door they
come through. Password-reset requests count against `password_reset` (each sends an e-mail).

This limits how fast one address can guess; django-axes (settings: AXES_*) locks out one
username from one address after repeated failures. DRF's documentation is right that a
throttle alone is no defence against brute force: the two together are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import ScopedRateThrottle

from rehab.audit import client_address

# Web views (URL names) whose POSTs are throttled, and the scope each counts against.
THROTTLED_WEB_VIEWS = {
    "login": "login",
    "admin:login": "login",
    # The second step (rehab/two_factor.py): each code tried counts as a sign-in.
    "two_factor_code": "login",
    "two_factor_set_up": "login",
    "two_factor": "login",
    "password_reset": "password_reset",
}


class AddressRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting an anonymous caller by the client address as the
    lockout and the audit trail read it (`rehab.audit.client_address`, configured by
    REHAB_AXES_IPWARE_META). DRF's own reading trusts any X-Forwarded-For unless NUM_PROXIES
    is set, so a client could send a new address with every try."""

    def get_ident(self, request: Any) -> str:
        return client_address(request) or str(request.META.get("REMOTE_ADDR", ""))


class SignInThrottleMiddleware:
    """Throttle POSTs to the web's sign-in and password-reset views (THROTTLED_WEB_VIEWS):
    over the rate, a 429 page with Retry-After, before the password is checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        scope = THROTTLED_WEB_VIEWS.get(match.view_name) if match else None
        if request.method != "POST" or scope is None:
            return None
        throttle = AddressRateThrottle()
        # A DRF throttle reads only the request's META and user and the view's scope, which a
        # Django request and this stand-in view have.
        view = SimpleNamespace(throttle_scope=scope)
        if throttle.allow_request(request, view):  # type: ignore[arg-type]
            return None
        wait_s = math.ceil(throttle.wait() or 60)
        response = render(
            request,
            "registration/throttled.html",
            {"minutes": max(1, math.ceil(wait_s / 60)), "password_reset": scope != "login"},
            status=429,
        )
        response["Retry-After"] = str(wait_s)
        return response
