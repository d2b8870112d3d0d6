"""The patient's reminder preferences page, with their calendar link (patients/calendar/)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.calendar.links import calendar_links
from patients.calendar.selectors import calendar_feed_of
from patients.models import Patient, PushSubscription
from patients.notifications.devices import devices_of
from patients.notifications.mobile import enabled_platforms
from patients.notifications.push import public_key
from patients.reminders.forms import PreferencesForm
from patients.reminders.services import update_reminder_preferences
from patients.web import current_patient
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import patient_required


@patient_required
def preferences(request: HttpRequest) -> HttpResponse:
    patient = current_patient(request)
    form = _form(patient, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            update_reminder_preferences(
                patient=patient,
                session_times=form.times(),
                time_zone=form.cleaned_data["time_zone"],
                **form.channels(),
                now=timezone.now(),
            )
        except DomainError as error:
            patient.refresh_from_db()
            add_domain_error(form, error)
        else:
            messages.success(request, "Your reminder preferences are saved.")
            return redirect("preferences")
    return render_preferences(request, patient, form=form)


def render_preferences(
    request: HttpRequest,
    patient: Patient,
    *,
    form: PreferencesForm | None = None,
    new_secret: str | None = None,
) -> HttpResponse:
    """The page; `new_secret`: a calendar link just made, shown this once (only its hash is
    kept, so no later page can show it)."""
    context = {
        "form": form or _form(patient),
        "patient": patient,
        "app_devices": devices_of(patient),
        "nav": "preferences",
        "calendar": calendar_feed_of(patient),
        "calendar_links": calendar_links(request, new_secret) if new_secret else None,
        "push_key": public_key(),
        "devices": PushSubscription.objects.filter(user=patient.user),
    }
    return render(request, "patients/preferences.html", context)


def _form(patient: Patient, data: object = None) -> PreferencesForm:
    """The form with the channels this clinic offers: e-mail always, web push once it has a
    VAPID key, the mobile apps once FCM or APNs is set up (or the patient has an app
    registered, so they can still turn it off)."""
    offered = {"email_reminders"}
    if public_key():
        offered.add("push_reminders")
    if enabled_platforms() or devices_of(patient).exists():
        offered.add("mobile_reminders")
    initial = {
        "session_times": ", ".join(patient.session_times),
        "time_zone": patient.time_zone,
        "email_reminders": patient.email_reminders,
        "push_reminders": patient.push_reminders,
        "mobile_reminders": patient.mobile_reminders,
    }
    return PreferencesForm(data, initial=initial, offered=offered)
