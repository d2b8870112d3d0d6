"""Web pages for therapists (caseload, patients, flags) and patients (today, logging,
check-in, questionnaires, progress, reminders). Thin: forms check shape, services decide,
selectors read; every patient and flag lookup goes through the visibility selectors."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.activity.charts import progress_charts
from patients.activity.forms import CheckInForm, SessionLogForm
from patients.activity.selectors import (
    today_for,
    weekly_progress,
)
from patients.activity.services import PAUSED_MESSAGE, record_check_in, record_session
from patients.monitoring.selectors import (
    RED_FLAG_ANSWERED,
    red_flag_advice,
    urgency_heading,
)
from patients.web import current_patient, record_once
from programmes.selectors import catalogue_snapshot
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import patient_required


@patient_required
def today(request: HttpRequest) -> HttpResponse:
    plan = today_for(current_patient(request), timezone.now())
    return render(request, "patients/today.html", {"today": plan, "nav": "today"})


@patient_required
def log_session(request: HttpRequest, slot: int) -> HttpResponse:
    patient, now = current_patient(request), timezone.now()
    plan = today_for(patient, now)
    if plan.paused is not None:
        messages.error(request, PAUSED_MESSAGE)
        return redirect("today")
    session = next((s for s in plan.sessions if s.slot == slot), None)
    if session is None:
        raise Http404("No such session today.")
    initial = SessionLogForm.initial_from(session.log) if session.log else {}
    form = SessionLogForm(request.POST or None, items=session.items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_once(
                record_session,
                patient=patient,
                client_uuid=data["client_uuid"],
                local_date=plan.local_date,
                slot=slot,
                logged_at=now,
                now=now,
                exercises=form.exercises(),
                pain_after_nrs=None if data["skipped"] else data["pain_after_nrs"],
                skipped=data["skipped"],
                skip_reason=data["skip_reason"] if data["skipped"] else "",
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Session {slot} logged. Well done.")
            return redirect("today")
    context = {"form": form, "session": session, "today": plan, "nav": "today"}
    return render(request, "patients/log_session.html", context)


@patient_required
def check_in(request: HttpRequest) -> HttpResponse:
    patient, now = current_patient(request), timezone.now()
    plan = today_for(patient, now)
    done = plan.check_in
    initial = (
        {
            "morning_pain_nrs": done.morning_pain_nrs,
            "stiffness_minutes": done.stiffness_minutes,
            "swelling": None if done.swelling is None else ("yes" if done.swelling else "no"),
        }
        if done
        else {}
    )
    form = CheckInForm(request.POST or None, questions=plan.check_in_questions, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_once(
                record_check_in,
                patient=patient,
                client_uuid=data["client_uuid"],
                local_date=plan.local_date,
                morning_pain_nrs=data["morning_pain_nrs"],
                stiffness_minutes=data["stiffness_minutes"],
                red_flags=form.red_flags(),
                swelling=data["swelling"] == "yes",
                logged_at=now,
                now=now,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("check_in_result")
    context = {"form": form, "today": plan, "nav": "check_in"}
    return render(request, "patients/check_in.html", context)


@patient_required
def check_in_result(request: HttpRequest) -> HttpResponse:
    """After the check-in: thanks, or the catalogue's advice for each red-flag answer."""
    plan = today_for(current_patient(request), timezone.now())
    if plan.check_in is None:
        return redirect("check_in")
    advice = red_flag_advice(plan.check_in.red_flags)
    # The heading says how soon, from the most urgent answer (F13); advice is most urgent first.
    heading = urgency_heading(advice[0].urgency) if advice else ""
    context = {
        "check_in": plan.check_in,
        "advice": advice,
        "heading": heading,
        "answered": RED_FLAG_ANSWERED,
        "nav": "check_in",
    }
    return render(request, "patients/check_in_result.html", context)


@patient_required
def progress(request: HttpRequest) -> HttpResponse:
    data = weekly_progress(current_patient(request), timezone.now())
    charts = progress_charts(data, thresholds=catalogue_snapshot().thresholds)
    context = {"progress": data, "charts": charts, "nav": "progress"}
    return render(request, "patients/progress.html", context)


# --- Both roles ---------------------------------------------------------------------------------


# --- My data: export ----------------------------------------------------------------------
