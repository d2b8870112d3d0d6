"""What a therapist does with a flag on the web: acknowledge, resolve, accept a progression,
apply a step back's suggestion. A flag is acted on with the flags shown with it (`FlagGroup`)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.models import Flag
from patients.monitoring.forms import ApplySuggestionForm, ResolveFlagForm
from patients.monitoring.selectors import FlagGroup, flag_group, suggested_regression, visible_flag
from patients.monitoring.services import (
    accept_progression,
    acknowledge_flag_group,
    apply_regression,
    default_step_back_reason,
    resolve_flag_group,
)
from programmes.selectors import active_programme, current_phase_items
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import therapist_required


def _flag_response(
    request: HttpRequest, flag: Flag, group: FlagGroup, form: ResolveFlagForm | None = None
) -> HttpResponse:
    """htmx swaps just the flag's card; a plain form post goes back to the patient page."""
    if request.htmx:  # type: ignore[attr-defined]
        context = {"group": group, "resolve_form": form or ResolveFlagForm()}
        return render(request, "patients/_flag.html", context)
    if form is not None and form.errors:
        context = {"flag": flag, "group": group, "form": form}
        return render(request, "patients/flag_resolve.html", context)
    return redirect(f"{reverse('patient_detail', args=[flag.patient_id])}#flag-{group.pk}")


def _resolve_form(request: HttpRequest, flag: Flag) -> ResolveFlagForm:
    # Its field's id is the card's (note-<flag id>), so the error summary links to it.
    return ResolveFlagForm(request.POST or None, auto_id=f"%s-{flag.pk}")


@therapist_required
@require_POST
def flag_acknowledge(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    flag = visible_flag(request.user, pk)
    group = flag_group(flag)
    try:
        group = acknowledge_flag_group(flag=flag, by=request.user, now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
    return _flag_response(request, flag, group)


@therapist_required
def flag_resolve(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    flag = visible_flag(request.user, pk)
    group = flag_group(flag)
    form = _resolve_form(request, flag)
    if request.method == "POST" and form.is_valid():
        try:
            group = resolve_flag_group(
                flag=flag, by=request.user, note=form.cleaned_data["note"], now=timezone.now()
            )
        except DomainError as error:
            add_domain_error(form, error)
        return _flag_response(request, flag, group, form)
    if request.method == "POST":
        return _flag_response(request, flag, group, form)
    return render(
        request, "patients/flag_resolve.html", {"flag": flag, "group": group, "form": form}
    )


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


@therapist_required
def flag_apply(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A step back's suggestion, spelled out as the changes it makes to the programme as it
    is now, applied with one click and a reason (pre-filled, editable)."""
    flag = visible_flag(request.user, pk)
    group = flag_group(flag)
    programme = active_programme(flag.patient)
    regression = (
        suggested_regression(programme, current_phase_items(programme))
        if programme is not None and programme.current_revision is not None
        else None
    )
    form = ApplySuggestionForm(
        request.POST or None, initial={"reason": default_step_back_reason(group)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            revisions = apply_regression(
                flag=flag, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            done = "; ".join(r.summary for r in revisions)
            messages.success(request, f"Applied and the flag resolved: {done}.")
            return redirect("programme_adjust", pk=revisions[-1].programme_id)
    context = {
        "flag": flag,
        "group": group,
        "programme": programme,
        "regression": regression,
        "form": form,
    }
    return render(request, "patients/flag_apply.html", context)
