"""The therapist's pages about people: the caseload, adding and inviting a patient, a
patient's record."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_POST

from patients.activity.charts import progress_charts
from patients.activity.selectors import (
    recent_check_ins,
    sessions_in_last_days,
    today_for,
    weekly_progress,
)
from patients.models import Patient
from patients.monitoring.forms import ResolveFlagForm
from patients.monitoring.selectors import (
    group_flags,
    patient_flags,
)
from patients.people.forms import ContactForm, PatientForm
from patients.people.selectors import caseload as caseload_selector
from patients.people.selectors import visible_patient
from patients.people.services import create_patient, send_invitation, update_contact
from patients.questionnaires.selectors import questionnaire_history
from programmes.forms import intake_answers
from programmes.selectors import catalogue_snapshot, programmes_of
from rehab.audit import log_view
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.limits import HISTORY_DAYS
from rehab.views import therapist_required


def _set_password_url(request: HttpRequest, patient: Patient) -> str:
    user = patient.user
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


@therapist_required
def caseload(request: HttpRequest) -> HttpResponse:
    rows = caseload_selector(request.user.therapist, timezone.now())  # type: ignore[union-attr]
    return render(request, "patients/caseload.html", {"rows": rows, "nav": "caseload"})


@therapist_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, today=timezone.now().date())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invite = data["setup"] == "invite"
        try:
            patient = create_patient(
                therapist=request.user.therapist,  # type: ignore[union-attr]
                password=None if invite else data["password"],
                **{k: data[k] for k in ("username", "first_name", "last_name", "email")},
                time_zone=data["time_zone"],
                date_of_birth=data["date_of_birth"],
                phone=data["phone"],
                now=timezone.now(),
            )
            if invite:
                send_invitation(
                    patient=patient, set_password_url=_set_password_url(request, patient)
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            sent = f" An invitation was e-mailed to {patient.user.email}." if invite else ""
            messages.success(request, f"Created {patient}'s account.{sent}")
            return redirect(f"{reverse('programme_new')}?patient={patient.pk}")
    return render(request, "patients/patient_form.html", {"form": form, "nav": "patient_create"})


# The session logs shown at first, and how many more days each "show more" adds.
SESSION_DAYS = 7


@therapist_required
def patient_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    patient = visible_patient(request.user, pk)
    log_view(request.user, patient)
    contact = ContactForm(initial={"phone": patient.phone, "email": patient.user.email})
    return render(
        request, "patients/patient_detail.html", _detail_context(request, patient, contact)
    )


def _detail_context(request: HttpRequest, patient: Patient, contact_form: Any) -> dict[str, Any]:
    now = timezone.now()
    progress = weekly_progress(patient, now)
    days = _history_days(request.GET.get("days"))
    today = today_for(patient, now)
    diagnosis = (today.programme.diagnosis if today.programme else None) or (
        patient.diagnoses.select_related("therapist__user").first()
    )
    return {
        "patient": patient,
        "today": today,
        "progress": progress,
        "charts": progress_charts(
            progress, thresholds=catalogue_snapshot().thresholds, for_clinician=True
        ),
        "flags": group_flags(patient_flags(patient)),
        "sessions": sessions_in_last_days(patient, days=days, now=now),
        "more_days": days + SESSION_DAYS,
        "check_ins": recent_check_ins(patient),
        "responses": questionnaire_history(patient),
        "programmes": programmes_of(patient),
        "resolve_form": ResolveFlagForm(),
        "contact_form": contact_form,
        "diagnosis": diagnosis,
        "intake": intake_answers(diagnosis.intake) if diagnosis else [],
    }


def _history_days(value: str | None) -> int:
    """?days= as typed in a URL: a number out of bounds is clamped, anything else ignored."""
    try:
        days = int(value or SESSION_DAYS)
    except ValueError:
        return SESSION_DAYS
    return min(max(days, HISTORY_DAYS.minimum), HISTORY_DAYS.maximum)


@therapist_required
@require_POST
def patient_contact(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The therapist corrects the phone number and e-mail; errors show on the patient page."""
    patient = visible_patient(request.user, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            update_contact(patient=patient, by=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Contact details saved.")
            return redirect(f"{reverse('patient_detail', args=[patient.pk])}#about")
    context = _detail_context(request, patient, form)
    return render(request, "patients/patient_detail.html", context, status=400)


@therapist_required
@require_POST
def patient_invite(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    patient = visible_patient(request.user, pk)
    try:
        send_invitation(patient=patient, set_password_url=_set_password_url(request, patient))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Sent a new invitation link to {patient.user.email}.")
    return redirect("patient_detail", pk=patient.pk)
