"""The REST API, version 1, mounted at /api/v1/. Live docs: /api/v1/docs/ (Swagger UI) and
/api/v1/redoc/, both from local static files; the OpenAPI 3 schema at /api/v1/schema/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularAPIView

from patients import api as patients
from patients import api_auth as auth
from programmes import api as programmes
from rehab import api_docs
from rehab.api import not_found

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    # Accounts and tokens
    path("auth/login/", auth.LoginApi.as_view(), name="login"),
    path("auth/logout/", auth.LogoutApi.as_view(), name="logout"),
    path("auth/logout-all/", auth.LogoutAllApi.as_view(), name="logout-all"),
    path("me/", patients.MeApi.as_view(), name="me"),
    path("me/export/", patients.MyExportApi.as_view(), name="me-export"),
    path("me/export/csv/", patients.MyExportZipApi.as_view(), name="me-export-csv"),
    # Patients
    path("today/", patients.TodayApi.as_view(), name="today"),
    path("programme/", programmes.CurrentProgrammeApi.as_view(), name="current-programme"),
    path("sessions/", patients.SessionLogListApi.as_view(), name="sessions"),
    path("sessions/<uuid:pk>/", patients.SessionLogDetailApi.as_view(), name="session"),
    path("check-ins/", patients.CheckInListApi.as_view(), name="check-ins"),
    path("check-ins/<uuid:pk>/", patients.CheckInDetailApi.as_view(), name="check-in"),
    path("questionnaires/", patients.QuestionnaireListApi.as_view(), name="questionnaires"),
    path(
        "questionnaires/<slug:slug>/",
        patients.QuestionnaireDetailApi.as_view(),
        name="questionnaire",
    ),
    path(
        "questionnaire-responses/",
        patients.QuestionnaireResponseListApi.as_view(),
        name="questionnaire-responses",
    ),
    path(
        "questionnaire-responses/<uuid:pk>/",
        patients.QuestionnaireResponseDetailApi.as_view(),
        name="questionnaire-response",
    ),
    path("sync/", patients.SyncApi.as_view(), name="sync"),
    # Everyone
    path("notifications/", patients.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/mark-read/",
        patients.MarkNotificationsReadApi.as_view(),
        name="notifications-mark-read",
    ),
    path("conditions/", programmes.ConditionListApi.as_view(), name="conditions"),
    path("conditions/<slug:slug>/", programmes.ConditionDetailApi.as_view(), name="condition"),
    path("exercises/", programmes.ExerciseListApi.as_view(), name="exercises"),
    path("exercises/<slug:slug>/", programmes.ExerciseDetailApi.as_view(), name="exercise"),
    # Therapists
    path("caseload/", patients.CaseloadApi.as_view(), name="caseload"),
    path("patients/<uuid:pk>/", patients.PatientDetailApi.as_view(), name="patient"),
    path("patients/<uuid:pk>/programmes/", programmes.PrescribeApi.as_view(), name="prescribe"),
    path("patients/<uuid:pk>/export/", patients.PatientExportApi.as_view(), name="patient-export"),
    path(
        "patients/<uuid:pk>/export/csv/",
        patients.PatientExportZipApi.as_view(),
        name="patient-export-csv",
    ),
    path("plan-preview/", programmes.PlanPreviewApi.as_view(), name="plan-preview"),
    path("programmes/<uuid:pk>/", programmes.ProgrammeDetailApi.as_view(), name="programme"),
    path(
        "programmes/<uuid:pk>/revisions/",
        programmes.RevisionListApi.as_view(),
        name="programme-revisions",
    ),
    path(
        "programmes/<uuid:pk>/adjustments/",
        programmes.AdjustProgrammeApi.as_view(),
        name="programme-adjust",
    ),
    path("programmes/<uuid:pk>/end/", programmes.EndProgrammeApi.as_view(), name="programme-end"),
    path("flags/", patients.FlagListApi.as_view(), name="flags"),
    path("flags/<uuid:pk>/", patients.FlagDetailApi.as_view(), name="flag"),
    path("flags/<uuid:pk>/acknowledge/", patients.AcknowledgeFlagApi.as_view(), name="flag-ack"),
    path("flags/<uuid:pk>/resolve/", patients.ResolveFlagApi.as_view(), name="flag-resolve"),
    path(
        "flags/<uuid:pk>/accept-progression/",
        programmes.AcceptProgressionApi.as_view(),
        name="flag-accept-progression",
    ),
    # The contract
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api_docs.swagger_ui, name="docs"),
    path("redoc/", api_docs.redoc, name="redoc"),
    # Last: anything else under /api/v1/ (a malformed id included) is a JSON 404.
    re_path(r"^", not_found, name="not-found"),
]
