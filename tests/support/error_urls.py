"""The site's URLs plus one view that fails, for the error-reporting tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def fail(request: HttpRequest) -> HttpResponse:
    request.POST  # noqa: B018 (the body is read, as a form view would)
    raise ValueError("the kind of bug an error report is for")


urlpatterns = [
    path("fail/", fail),
    path("", include("rehab.urls")),
]
