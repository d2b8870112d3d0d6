"""The programmes app's endpoints under /api/v1/ (rehab/api_urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from programmes import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("programme/", api.CurrentProgrammeApi.as_view(), name="current-programme"),
    path("conditions/", api.ConditionListApi.as_view(), name="conditions"),
    path("conditions/<slug:slug>/", api.ConditionDetailApi.as_view(), name="condition"),
    path("exercises/", api.ExerciseListApi.as_view(), name="exercises"),
    path("exercises/<slug:slug>/", api.ExerciseDetailApi.as_view(), name="exercise"),
    path("patients/<uuid:pk>/programmes/", api.PrescribeApi.as_view(), name="prescribe"),
    path("plan-preview/", api.PlanPreviewApi.as_view(), name="plan-preview"),
    path("programmes/<uuid:pk>/", api.ProgrammeDetailApi.as_view(), name="programme"),
    path(
        "programmes/<uuid:pk>/revisions/",
        api.RevisionListApi.as_view(),
        name="programme-revisions",
    ),
    path(
        "programmes/<uuid:pk>/adjustments/",
        api.AdjustProgrammeApi.as_view(),
        name="programme-adjust",
    ),
    path("programmes/<uuid:pk>/end/", api.EndProgrammeApi.as_view(), name="programme-end"),
    path(
        "flags/<uuid:pk>/accept-progression/",
        api.AcceptProgressionApi.as_view(),
        name="flag-accept-progression",
    ),
]
