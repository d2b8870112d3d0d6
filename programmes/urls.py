"""The programmes app's files: exercise figures and uploaded media (rehab/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from programmes import views

urlpatterns: list[URLPattern] = [
    path("figures/<slug:slug>.svg", views.exercise_figure, name="exercise_figure"),
    path("media/<uuid:pk>", views.exercise_media, name="exercise_media"),
]
