"""The patients app's endpoints under /api/v1/ (rehab/api_urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from patients.activity import api as activity
from patients.calendar import api as calendar
from patients.monitoring import api as monitoring
from patients.notifications import api as notifications
from patients.people import api as people
from patients.prescribing import api as prescribing
from patients.privacy import api as privacy
from patients.questionnaires import api as questionnaires

urlpatterns: list[URLPattern | URLResolver] = [
    # The API's logout (rehab/api_auth.py) that also removes the device's push registration.
    path("auth/logout/", notifications.LogoutApi.as_view(), name="logout"),
    path("me/", people.MeApi.as_view(), name="me"),
    path("me/calendar/", calendar.MyCalendarApi.as_view(), name="me-calendar"),
    path("me/export/", privacy.MyExportApi.as_view(), name="me-export"),
    path("me/export/csv/", privacy.MyExportZipApi.as_view(), name="me-export-csv"),
    path("today/", activity.TodayApi.as_view(), name="today"),
    path("sessions/", activity.SessionLogListApi.as_view(), name="sessions"),
    path("sessions/<uuid:pk>/", activity.SessionLogDetailApi.as_view(), name="session"),
    path("check-ins/", activity.CheckInListApi.as_view(), name="check-ins"),
    path("check-in/questions/", activity.CheckInQuestionsApi.as_view(), name="check-in-questions"),
    path("check-ins/<uuid:pk>/", activity.CheckInDetailApi.as_view(), name="check-in"),
    path("questionnaires/", questionnaires.QuestionnaireListApi.as_view(), name="questionnaires"),
    path(
        "questionnaires/<slug:slug>/",
        questionnaires.QuestionnaireDetailApi.as_view(),
        name="questionnaire",
    ),
    path(
        "questionnaire-responses/",
        questionnaires.QuestionnaireResponseListApi.as_view(),
        name="questionnaire-responses",
    ),
    path(
        "questionnaire-responses/<uuid:pk>/",
        questionnaires.QuestionnaireResponseDetailApi.as_view(),
        name="questionnaire-response",
    ),
    path("sync/", activity.SyncApi.as_view(), name="sync"),
    path("notifications/", notifications.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/mark-read/",
        notifications.MarkNotificationsReadApi.as_view(),
        name="notifications-mark-read",
    ),
    path("devices/", notifications.DeviceListApi.as_view(), name="devices"),
    path("devices/<uuid:pk>/", notifications.DeviceDetailApi.as_view(), name="device"),
    path("caseload/", people.CaseloadApi.as_view(), name="caseload"),
    path("patients/<uuid:pk>/", people.PatientDetailApi.as_view(), name="patient"),
    path("patients/<uuid:pk>/export/", privacy.PatientExportApi.as_view(), name="patient-export"),
    path(
        "patients/<uuid:pk>/export/csv/",
        privacy.PatientExportZipApi.as_view(),
        name="patient-export-csv",
    ),
    path("flags/", monitoring.FlagListApi.as_view(), name="flags"),
    path("flags/<uuid:pk>/", monitoring.FlagDetailApi.as_view(), name="flag"),
    path("flags/<uuid:pk>/acknowledge/", monitoring.AcknowledgeFlagApi.as_view(), name="flag-ack"),
    path("flags/<uuid:pk>/resolve/", monitoring.ResolveFlagApi.as_view(), name="flag-resolve"),
    path("programme/", prescribing.CurrentProgrammeApi.as_view(), name="current-programme"),
    path("patients/<uuid:pk>/programmes/", prescribing.PrescribeApi.as_view(), name="prescribe"),
    path("programmes/<uuid:pk>/", prescribing.ProgrammeDetailApi.as_view(), name="programme"),
    path("programmes/<uuid:pk>/end/", prescribing.EndProgrammeApi.as_view(), name="programme-end"),
    path(
        "flags/<uuid:pk>/accept-progression/",
        monitoring.AcceptProgressionApi.as_view(),
        name="flag-accept-progression",
    ),
    path(
        "flags/<uuid:pk>/apply-suggestion/",
        monitoring.ApplySuggestionApi.as_view(),
        name="flag-apply-suggestion",
    ),
    path(
        "programmes/<uuid:pk>/adjustments/",
        prescribing.AdjustProgrammeApi.as_view(),
        name="programme-adjust",
    ),
]
