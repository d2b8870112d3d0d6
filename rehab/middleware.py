"""Response headers that depend on who asked."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store, private"


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store, private` on every response to a signed-in user (web session or
    API token): their pages, API answers and exports hold health data, which neither a shared
    proxy nor the browser's disk cache (a clinic's shared computer) may keep. Replaces any
    other caching the view chose.

    Anonymous responses keep their own caching; static files never get here (whitenoise
    serves them earlier in the chain, with far-future caching for their hashed names). Read
    after the view, so an API token user (authenticated by DRF inside the view) counts too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = NO_STORE
            if "Expires" in response:
                del response["Expires"]
        return response
