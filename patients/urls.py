"""Web pages for patients and therapists."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from patients import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Therapist
    path("caseload/", views.caseload, name="caseload"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<uuid:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:pk>/invite/", views.patient_invite, name="patient_invite"),
    path(
        "patients/<uuid:pk>/export.json",
        views.patient_export,
        {"fmt": "json"},
        name="patient_export_json",
    ),
    path(
        "patients/<uuid:pk>/export.zip",
        views.patient_export,
        {"fmt": "zip"},
        name="patient_export_zip",
    ),
    path("flags/<uuid:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<uuid:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("flags/<uuid:pk>/accept/", views.flag_accept, name="flag_accept"),
    # Patient
    path("today/", views.today, name="today"),
    path("today/sessions/<int:slot>/", views.log_session, name="log_session"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-in/done/", views.check_in_result, name="check_in_result"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/new/", views.questionnaire_new, name="questionnaire_new"),
    path("progress/", views.progress, name="progress"),
    path("reminders/", views.preferences, name="preferences"),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export.json", views.my_data_export, {"fmt": "json"}, name="my_data_json"),
    path("my-data/export.zip", views.my_data_export, {"fmt": "zip"}, name="my_data_zip"),
    # Both
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
