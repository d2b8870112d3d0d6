"""The programmes app's web addresses: exercise figures and uploaded media (public files), and
the therapist's references page (rehab/urls.py mounts them at the root)."""

from __future__ import annotations

from django.urls import URLPattern, path

from programmes import views

urlpatterns: list[URLPattern] = [
    path("exercises/figures/<slug:slug>.svg", views.exercise_figure, name="exercise_figure"),
    path("exercises/media/<uuid:pk>", views.exercise_media, name="exercise_media"),
    path("references/", views.references, name="references"),
]
