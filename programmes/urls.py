"""The programmes app's web page (mounted at /references/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from programmes import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.references, name="references"),
]
