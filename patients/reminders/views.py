"""The patient's reminder preferences page, with their calendar link (patients/calendar/)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.calendar.links import calendar_links
from patients.calendar.selectors import calendar_feed_of
from patients.models import Patient, PushSubscription
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
    form = PreferencesForm(request.POST or None, initial=_initial(patient))
    if request.method == "POST" and form.is_valid():
        try:
            update_reminder_preferences(
                patient=patient,
                session_times=form.times(),
                time_zone=form.cleaned_data["time_zone"],
                email_reminders=form.cleaned_data["email_reminders"],
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
        "form": form or PreferencesForm(initial=_initial(patient)),
        "nav": "preferences",
        "calendar": calendar_feed_of(patient),
        "calendar_links": calendar_links(request, new_secret) if new_secret else None,
        "push_key": public_key(),
        "devices": PushSubscription.objects.filter(user=patient.user),
    }
    return render(request, "patients/preferences.html", context)


def _initial(patient: Patient) -> dict[str, object]:
    return {
        "session_times": ", ".join(patient.session_times),
        "time_zone": patient.time_zone,
        "email_reminders": patient.email_reminders,
    }
