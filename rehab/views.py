"""Project-level pages and the role guards every web page uses.

A wrong role gets a 404, never a 403: a patient poking at a therapist URL learns nothing about
whether the page (or the row behind it) exists."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static

from rehab.api import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, error_body
from rehab.roles import role_of

View = Callable[..., HttpResponse]


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its start page: therapist → caseload, patient → today, staff → admin."""
    if not request.user.is_authenticated:
        return redirect("login")
    start = {"therapist": "caseload", "patient": "today", "staff": "admin:index"}
    role = role_of(request.user)
    if not role:
        raise Http404("This account has no role yet; ask the clinic to set it up.")
    return redirect(start[role])


def _role_required(*roles: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(hasattr(request.user, role) for role in roles):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


therapist_required = _role_required("therapist")
"""Anonymous → login page; signed in without a therapist profile → 404."""

patient_required = _role_required("patient")
"""Anonymous → login page; signed in without a patient profile → 404."""

member_required = _role_required("therapist", "patient")
"""Anonymous → login page; signed in as neither therapist nor patient (e.g. staff) → 404."""


@patient_required
def more(request: HttpRequest) -> HttpResponse:
    """The "More" tab on a phone: every patient page that has no tab of its own, changing the
    password and signing out (the top menu is folded away on a phone)."""
    return render(request, "rehab/more.html", {"nav": "more"})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an error outside the API's own handler (a page, a middleware). A lost
    database connection is a 503 to retry; anything else a plain 500. Either way a short page
    (or the API's JSON body under /api/) that needs no database and shows no traceback."""
    unavailable = isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE)
    status = 503 if unavailable else 500
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if unavailable else {}
    if request.path.startswith("/api/"):
        body = (
            error_body("unavailable", UNAVAILABLE_MESSAGE)
            if unavailable
            else error_body("server_error", "Something went wrong on our side; please try again.")
        )
        return JsonResponse(body, status=status, headers=headers)
    page = render_to_string(f"{status}.html")
    return HttpResponse(page, status=status, headers=headers)


def manifest(request: HttpRequest) -> JsonResponse:
    """The web-app manifest: the site can be added to a phone's home screen and opens like an
    app (on an iPhone, web push works only from there)."""
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append({"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"})
    body = {
        "name": "Rehab planner",
        "short_name": "Rehab",
        "description": "Your home exercise programme, with reminders.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f8fa",
        "theme_color": "#0b5cad",
        "icons": icons,
    }
    return JsonResponse(
        body, content_type="application/manifest+json", headers={"Cache-Control": "max-age=3600"}
    )


@cache
def _service_worker() -> bytes:
    return (Path(__file__).parent / "static" / "js" / "sw.js").read_bytes()


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope is the whole site; not
    cached, so a new version is picked up at the next visit."""
    return HttpResponse(
        _service_worker(),
        content_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
