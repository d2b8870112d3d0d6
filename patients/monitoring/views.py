"""What a therapist does with a flag on the web: acknowledge, resolve, accept a progression."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.models import Flag
from patients.monitoring.forms import ResolveFlagForm
from patients.monitoring.selectors import (
    visible_flag,
)
from patients.monitoring.services import accept_progression, acknowledge_flag, resolve_flag
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import therapist_required


def _flag_response(
    request: HttpRequest, flag: Flag, form: ResolveFlagForm | None = None
) -> HttpResponse:
    """htmx swaps just the flag's card; a plain form post goes back to the patient page."""
    if request.htmx:  # type: ignore[attr-defined]
        context = {"flag": flag, "resolve_form": form or ResolveFlagForm()}
        return render(request, "patients/_flag.html", context)
    if form is not None and form.errors:
        return render(request, "patients/flag_resolve.html", {"flag": flag, "form": form})
    return redirect(f"{reverse('patient_detail', args=[flag.patient_id])}#flag-{flag.pk}")


@therapist_required
@require_POST
def flag_acknowledge(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    flag = visible_flag(request.user, pk)
    try:
        acknowledge_flag(flag=flag, by=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
    return _flag_response(request, flag)


@therapist_required
def flag_resolve(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    flag = visible_flag(request.user, pk)
    form = ResolveFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resolve_flag(
                flag=flag, by=request.user, note=form.cleaned_data["note"], now=timezone.now()
            )
        except DomainError as error:
            add_domain_error(form, error)
        return _flag_response(request, flag, form)
    if request.method == "POST":
        return _flag_response(request, flag, form)
    return render(request, "patients/flag_resolve.html", {"flag": flag, "form": form})


@therapist_required
@require_POST
def flag_accept(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Accept a 'ready to progress' flag: the programme moves to the next phase."""
    flag = visible_flag(request.user, pk)
    try:
        revision = accept_progression(flag=flag, by=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Moved to phase {revision.current_phase}.")
    return redirect("patient_detail", pk=flag.patient_id)
