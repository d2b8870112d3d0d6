"""The therapist's pages about people: the caseload, adding and inviting a patient, a
patient's record."""

from __future__ import annotations

import uuid

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
    recent_sessions,
    today_for,
    weekly_progress,
)
from patients.models import Patient
from patients.monitoring.forms import ResolveFlagForm
from patients.monitoring.selectors import (
    group_flags,
    patient_flags,
)
from patients.people.forms import PatientForm
from patients.people.selectors import caseload as caseload_selector
from patients.people.selectors import visible_patient
from patients.people.services import create_patient, send_invitation
from patients.questionnaires.selectors import questionnaire_history
from programmes.selectors import catalogue_snapshot, programmes_of
from rehab.audit import log_view
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
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


@therapist_required
def patient_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    patient = visible_patient(request.user, pk)
    log_view(request.user, patient)
    now = timezone.now()
    progress = weekly_progress(patient, now)
    context = {
        "patient": patient,
        "today": today_for(patient, now),
        "progress": progress,
        "charts": progress_charts(
            progress, thresholds=catalogue_snapshot().thresholds, for_clinician=True
        ),
        "flags": group_flags(patient_flags(patient)),
        "sessions": recent_sessions(patient),
        "check_ins": recent_check_ins(patient),
        "responses": questionnaire_history(patient),
        "programmes": programmes_of(patient),
        "resolve_form": ResolveFlagForm(),
    }
    return render(request, "patients/patient_detail.html", context)


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
