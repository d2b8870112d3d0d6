"""The REST API, version 1, mounted at /api/v1/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = []
