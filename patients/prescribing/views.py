"""Therapist pages for prescribing a programme from an intake and adjusting it afterwards."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from patients.monitoring.rules import progression_rule
from patients.people.selectors import patients_visible_to
from patients.prescribing.selectors import my_programme, patient_programme
from patients.prescribing.services import end_programme, revise_programme, start_programme
from patients.schedule import local_today, programme_week
from patients.web import current_patient
from programmes.forms import ADJUST_FORMS, AdjustForm, EndProgrammeForm, ProgrammeForm
from programmes.models import Programme
from programmes.planner import PlanResult, Referral
from programmes.selectors import (
    active_programme,
    catalogue_snapshot,
    programme_detail,
    revision_history,
    visible_programme,
)
from programmes.services import preview_plan
from rehab.audit import log_access, log_view
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import patient_required, therapist_required


@therapist_required
def programme_new(request: HttpRequest) -> HttpResponse:
    """Intake → preview (programme or referral, with reasons) → prescribe, on one page."""
    chosen = request.POST.get("patient") or request.GET.get("patient")
    today = _patients_today(request, chosen)
    initial = {"patient": request.GET.get("patient"), "started_on": today}
    form = ProgrammeForm(
        request.POST or None,
        patients=patients_visible_to(request.user),
        initial=initial,
        assessed_on=today,
    )
    # Walk-through 4: say at once that the chosen patient is already on a programme (and offer
    # to end it), not after the whole intake; picking another patient swaps the notice (htmx).
    form.fields["patient"].widget.attrs.update(
        {
            "hx-get": reverse("programme_active_notice"),
            "hx-target": "#active-notice",
            "hx-swap": "outerHTML",
            "aria-describedby": "active-notice",
        }
    )
    result: PlanResult | None = None
    stale = False
    if request.method == "POST" and form.is_valid():
        intake = form.intake(assessed_on=today)
        try:
            result = preview_plan(intake=intake)
            seen = request.POST.get("previewed") == form.fingerprint()
            if "prescribe" in request.POST and not seen:
                stale = True  # shown in the new preview itself, where the eye is
            elif "prescribe" in request.POST and not isinstance(result, Referral):
                programme = start_programme(
                    patient=form.cleaned_data["patient"],
                    therapist=request.user.therapist,  # type: ignore[union-attr]
                    intake=intake,
                    made_on=today,
                    started_on=form.cleaned_data["started_on"],
                    notes=form.cleaned_data["notes"],
                    now=timezone.now(),
                )
                messages.success(request, "Programme prescribed. Adjust it here if needed.")
                return redirect("programme_adjust", pk=programme.pk)
        except DomainError as error:
            add_domain_error(form, error)
    context = {
        "form": form,
        "result": result,
        "stale": stale,
        "active": _active_programme_of(request, chosen),
        "nav": "programme_new",
    }
    return render(request, "patients/programme_new.html", context)


@therapist_required
def programme_active_notice(request: HttpRequest) -> HttpResponse:
    """The "already has an active programme" notice for the patient just picked (htmx)."""
    active = _active_programme_of(request, request.GET.get("patient"))
    return render(request, "patients/_active_notice.html", {"active": active})


def _active_programme_of(request: HttpRequest, patient_id: str | None) -> Programme | None:
    try:
        pk = uuid.UUID(patient_id or "")
    except ValueError:
        return None
    patient = patients_visible_to(request.user).filter(pk=pk).first()
    return active_programme(patient) if patient else None


def _advancing(programme: Any, phases: list[Any]) -> dict[str, Any]:
    """How and when this programme's phases advance: the monitoring's own progression rule,
    the week the programme is in, and the phase the protocol's weeks suggest for it."""
    catalogue = catalogue_snapshot()
    protocol = catalogue.protocols.get(programme.protocol.slug)
    week = programme_week(programme, local_today(programme.patient, timezone.now()))
    position = programme.current_revision.current_phase
    current = next((p for p in phases if p.position == position), None)
    # The protocol's weeks overlap (a phase may start before the last one ends): only a phase
    # whose own weeks are over is "behind the calendar", and the next one is suggested.
    behind = current is not None and current.end_week is not None and week > current.end_week
    by_calendar = next((p for p in phases if p.position == position + 1), None) if behind else None
    return {
        "rule": progression_rule(protocol.pain_limits if protocol else None, catalogue.thresholds),
        "week": week,
        "by_calendar": by_calendar,
    }


def _patients_today(request: HttpRequest, patient_id: str | None) -> date:
    """The chosen patient's own date (their time zone), as the API dates a prescription; the
    clinic's date until a patient is chosen."""
    now = timezone.now()
    try:
        pk = uuid.UUID(patient_id or "")
    except ValueError:
        return timezone.localdate(now)
    patient = patients_visible_to(request.user).filter(pk=pk).first()
    return local_today(patient, now) if patient else timezone.localdate(now)


@therapist_required
def programme_adjust(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The current programme, one form per kind of change, and the revision history."""
    programme = visible_programme(request.user, pk)
    if request.method == "GET":
        log_view(request.user, programme)
    phases = programme_detail(programme)
    action = request.POST.get("action") if request.method == "POST" else None
    # ?dose-item=<key>: the dose form for that exercise, pre-filled (a link per exercise, and
    # the form's own exercise picker swaps it in place with htmx).
    chosen = {"dose": {"item": request.GET.get("dose-item")}}
    forms: list[AdjustForm] = [
        cls(
            request.POST if cls.action == action else None,
            phases=phases,
            programme=programme,
            initial=chosen.get(cls.action),
        )
        for cls in ADJUST_FORMS
    ]
    for form in forms:
        if form.action == "dose":
            form.fields["item"].widget.attrs.update(
                {
                    "hx-get": request.path,
                    "hx-target": "#adjust-dose",
                    "hx-select": "#adjust-dose",
                    "hx-swap": "outerHTML",
                }
            )
    posted = next((f for f in forms if f.is_bound), None)
    if posted is not None and posted.is_valid():
        try:
            revision = revise_programme(
                programme=programme,
                changed_by=request.user,
                change=posted.change(),
                reason=posted.cleaned_data["reason"],
                now=timezone.now(),
            )
        except DomainError as error:
            add_domain_error(posted, error)
        else:
            messages.success(request, f"Saved as revision {revision.number}: {revision.summary}")
            return redirect("programme_adjust", pk=programme.pk)
    context = {
        "programme": programme,
        "phases": phases,
        "forms": forms,
        "posted": posted,
        "history": revision_history(programme),
        "end_form": EndProgrammeForm(phases=phases, programme=programme),
        "open_panel": "dose" if request.GET.get("dose-item") else None,
        "advancing": _advancing(programme, phases),
    }
    return render(request, "patients/programme_adjust.html", context)


@therapist_required
def programme_end(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """End (discharge) a programme with a reason; its reminders stop (`end_programme`). With
    `?then=prescribe` (the link from a new prescription) it returns to prescribing for the
    same patient, never to an address taken from the request."""
    programme = visible_programme(request.user, pk)
    then_prescribe = request.GET.get("then") == "prescribe"
    posted = request.POST if request.method == "POST" else None
    form = EndProgrammeForm(posted, phases=[], programme=programme)
    if programme.status != Programme.Status.ACTIVE:
        messages.info(request, "This programme has already ended.")
        return redirect("programme_adjust", pk=programme.pk)
    if request.method == "POST" and form.is_valid():
        try:
            end_programme(
                programme=programme,
                by=request.user,
                now=timezone.now(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Programme ended; its reminders have stopped.")
            if then_prescribe:
                url = reverse("programme_new")
                return redirect(f"{url}?patient={programme.patient_id}")
            return redirect("programme_adjust", pk=programme.pk)
    context = {"programme": programme, "form": form, "then_prescribe": then_prescribe}
    return render(request, "patients/programme_end.html", context)


# --- The patient's whole programme, and its printed handout --------------------------------


@patient_required
def my_programme_page(request: HttpRequest) -> HttpResponse:
    patient = current_patient(request)
    programme = patient_programme(request.user)
    mine = (
        my_programme(programme, today=local_today(patient, timezone.now())) if programme else None
    )
    return render(request, "patients/my_programme.html", {"mine": mine, "nav": "my_programme"})


@patient_required
def my_programme_handout(request: HttpRequest) -> HttpResponse:
    programme = patient_programme(request.user)
    if programme is None:
        raise Http404("You have no active programme.")
    return handout_response(request, programme)


@therapist_required
def programme_handout(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The handout of a programme on the therapist's own caseload; only while it runs (an
    ended programme is not one to hand a patient)."""
    programme = visible_programme(request.user, pk)
    if programme.status != Programme.Status.ACTIVE:
        raise Http404("This programme has ended.")
    return handout_response(request, programme)


def handout_response(request: HttpRequest, programme: Programme) -> HttpResponse:
    """The PDF, recorded in the audit trail as an export of the patient's record (whoever
    prints it), and never stored by a browser or proxy cache."""
    # Imported here: WeasyPrint loads Pango when imported, so a machine without Debian's
    # Pango (deploying.md) still serves every other page.
    from patients.prescribing.handout import handout_pdf

    today = local_today(programme.patient, timezone.now())
    pdf = handout_pdf(
        my_programme(programme, today=today),
        sign_in_url=request.build_absolute_uri(reverse("login")),
    )
    log_access(programme.patient, what="export:handout")
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="exercise-programme-{today:%Y-%m-%d}.pdf"',
            "Cache-Control": "no-store",
        },
    )
