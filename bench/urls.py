"""The app's URLs plus the framework-floor views (bench only; production URLs untouched)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from bench import floor
from rehab.urls import urlpatterns as app_urlpatterns

urlpatterns: list[Any] = [
    *app_urlpatterns,
    path("bench/floor/today/", floor.today),
    path("bench/floor/programme/", floor.programme),
    path("bench/floor/caseload/", floor.caseload),
    path("bench/floor/sessions/", floor.sessions),
]
