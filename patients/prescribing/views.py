"""Therapist pages for prescribing a programme from an intake and adjusting it afterwards."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.monitoring.rules import progression_rule
from patients.people.selectors import patients_visible_to
from patients.prescribing.services import end_programme, revise_programme, start_programme
from patients.schedule import local_today, programme_week
from programmes.forms import ADJUST_FORMS, AdjustForm, ProgrammeForm
from programmes.planner import PlanResult, Referral
from programmes.selectors import (
    catalogue_snapshot,
    programme_detail,
    revision_history,
    visible_programme,
)
from programmes.services import preview_plan
from rehab.audit import log_view
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import therapist_required


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
    result: PlanResult | None = None
    if request.method == "POST" and form.is_valid():
        intake = form.intake(assessed_on=today)
        try:
            result = preview_plan(intake=intake)
            seen = request.POST.get("previewed") == form.fingerprint()
            if "prescribe" in request.POST and not seen:
                messages.warning(request, "The intake changed after the preview: check it again.")
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
    context = {"form": form, "result": result, "nav": "programme_new"}
    return render(request, "patients/programme_new.html", context)


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
    forms: list[AdjustForm] = [
        cls(request.POST if cls.action == action else None, phases=phases, programme=programme)
        for cls in ADJUST_FORMS
    ]
    posted = next((f for f in forms if f.is_bound), None)
    if posted is not None and posted.action == "end" and posted.is_valid():
        try:
            end_programme(
                programme=programme,
                by=request.user,
                now=timezone.now(),
                reason=posted.cleaned_data["reason"],
            )
        except DomainError as error:
            add_domain_error(posted, error)
        else:
            messages.success(request, "Programme ended. You can now prescribe a new one.")
            return redirect("programme_adjust", pk=programme.pk)
    elif posted is not None and posted.is_valid():
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
        "advancing": _advancing(programme, phases),
    }
    return render(request, "patients/programme_adjust.html", context)
