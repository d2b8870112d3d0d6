"""Web pages for patients and therapists."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from patients.activity import views as activity
from patients.calendar import views as calendar
from patients.monitoring import views as monitoring
from patients.notifications import views as notifications
from patients.people import views as people
from patients.prescribing import views as prescribing
from patients.privacy import views as privacy
from patients.questionnaires import views as questionnaires
from patients.reminders import views as reminders

urlpatterns: list[URLPattern | URLResolver] = [
    # Therapist
    path("caseload/", people.caseload, name="caseload"),
    path("patients/new/", people.patient_create, name="patient_create"),
    path("patients/<uuid:pk>/", people.patient_detail, name="patient_detail"),
    path("patients/<uuid:pk>/invite/", people.patient_invite, name="patient_invite"),
    path("patients/<uuid:pk>/contact/", people.patient_contact, name="patient_contact"),
    path(
        "patients/<uuid:pk>/export.json",
        privacy.patient_export,
        {"fmt": "json"},
        name="patient_export_json",
    ),
    path(
        "patients/<uuid:pk>/export.zip",
        privacy.patient_export,
        {"fmt": "zip"},
        name="patient_export_zip",
    ),
    path("flags/<uuid:pk>/acknowledge/", monitoring.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<uuid:pk>/resolve/", monitoring.flag_resolve, name="flag_resolve"),
    path("flags/<uuid:pk>/accept/", monitoring.flag_accept, name="flag_accept"),
    path("flags/<uuid:pk>/apply/", monitoring.flag_apply, name="flag_apply"),
    # Patient
    path("today/", activity.today, name="today"),
    path("today/sessions/<int:slot>/", activity.log_session, name="log_session"),
    path("check-in/", activity.check_in, name="check_in"),
    path("check-in/done/", activity.check_in_result, name="check_in_result"),
    path("questionnaires/", questionnaires.questionnaires, name="questionnaires"),
    path("questionnaires/new/", questionnaires.questionnaire_new, name="questionnaire_new"),
    path("my-programme/", prescribing.my_programme_page, name="my_programme"),
    path("my-programme/handout.pdf", prescribing.my_programme_handout, name="my_programme_handout"),
    path("progress/", activity.progress, name="progress"),
    path("reminders/", reminders.preferences, name="preferences"),
    path("push/subscriptions/", notifications.push_subscribe, name="push_subscribe"),
    path(
        "push/subscriptions/<uuid:pk>/delete/",
        notifications.push_unsubscribe,
        name="push_unsubscribe",
    ),
    path("reminders/calendar/", calendar.calendar_link, name="calendar_link"),
    # No sign-in: the secret in the address is the credential (patients/calendar/).
    path("calendar/<str:secret>.ics", calendar.feed, name="calendar_feed"),
    path("my-data/", privacy.my_data, name="my_data"),
    path("my-data/export.json", privacy.my_data_export, {"fmt": "json"}, name="my_data_json"),
    path("my-data/export.zip", privacy.my_data_export, {"fmt": "zip"}, name="my_data_zip"),
    # Both
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/<uuid:pk>/", notifications.notification_open, name="notification_open"),
    path(
        "notifications/<uuid:pk>/read/", notifications.notification_read, name="notification_read"
    ),
]
