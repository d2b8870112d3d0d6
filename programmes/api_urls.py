"""The programmes app's endpoints under /api/v1/ (rehab/api_urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from programmes import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("conditions/", api.ConditionListApi.as_view(), name="conditions"),
    path("conditions/<slug:slug>/", api.ConditionDetailApi.as_view(), name="condition"),
    path("exercises/", api.ExerciseListApi.as_view(), name="exercises"),
    path("exercises/<slug:slug>/", api.ExerciseDetailApi.as_view(), name="exercise"),
    path("plan-preview/", api.PlanPreviewApi.as_view(), name="plan-preview"),
    path(
        "programmes/<uuid:pk>/revisions/",
        api.RevisionListApi.as_view(),
        name="programme-revisions",
    ),
]
