"""Therapist pages for prescribing and adjusting programmes (mounted at /programmes/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from patients.prescribing import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("new/", views.programme_new, name="programme_new"),
    path("new/active/", views.programme_active_notice, name="programme_active_notice"),
    path("<uuid:pk>/", views.programme_adjust, name="programme_adjust"),
    path("<uuid:pk>/handout.pdf", views.programme_handout, name="programme_handout"),
    path("<uuid:pk>/end/", views.programme_end, name="programme_end"),
]
