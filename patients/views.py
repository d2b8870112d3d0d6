"""Web pages for therapists (caseload, patients, flags) and patients (today, logging,
check-in, questionnaires, progress, reminders). Thin: forms check shape, services decide,
selectors read; every patient and flag lookup goes through the visibility selectors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_POST

from patients.charts import progress_charts
from patients.forms import (
    CheckInForm,
    PatientForm,
    PreferencesForm,
    QuestionnaireForm,
    ResolveFlagForm,
    SessionLogForm,
    add_domain_error,
)
from patients.models import Flag, Patient, QuestionnaireResponse
from patients.privacy import ExportFile, export_file
from patients.questionnaires import QUESTIONNAIRES, describe_change, short_name
from patients.selectors import caseload as caseload_selector
from patients.selectors import (
    notifications_for,
    patient_flags,
    programmes_of,
    questionnaire_history,
    recent_check_ins,
    recent_sessions,
    red_flag_advice,
    today_for,
    urgency_heading,
    visible_flag,
    visible_patient,
    weekly_progress,
)
from patients.services import (
    PAUSED_MESSAGE,
    Recorded,
    accept_progression,
    acknowledge_flag,
    create_patient,
    mark_notifications_read,
    record_check_in,
    record_questionnaire,
    record_session,
    resolve_flag,
    send_invitation,
    update_reminder_preferences,
)
from programmes.selectors import catalogue_snapshot
from rehab.audit import log_view
from rehab.exceptions import DomainError
from rehab.views import member_required, patient_required, therapist_required


def _record_once(record: Callable[..., Recorded], **kwargs: Any) -> Recorded:
    """Call a recording service with the form's UUID. The same UUID with other content means
    the patient went back and changed a form they had already sent: on the web that is a
    deliberate re-log of the same slot, so it is recorded again (the slot row is updated)."""
    try:
        return record(**kwargs)
    except DomainError as error:
        if error.code != "conflict":
            raise
        return record(**{**kwargs, "client_uuid": uuid.uuid4()})


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


# --- Therapist --------------------------------------------------------------------------------


@therapist_required
def caseload(request: HttpRequest) -> HttpResponse:
    rows = caseload_selector(request.user.therapist, timezone.now())  # type: ignore[union-attr]
    return render(request, "patients/caseload.html", {"rows": rows, "nav": "caseload"})


@therapist_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
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
        "flags": patient_flags(patient),
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


# --- Patient ----------------------------------------------------------------------------------


def _patient(request: HttpRequest) -> Patient:
    return request.user.patient  # type: ignore[union-attr]


@patient_required
def today(request: HttpRequest) -> HttpResponse:
    plan = today_for(_patient(request), timezone.now())
    return render(request, "patients/today.html", {"today": plan, "nav": "today"})


@patient_required
def log_session(request: HttpRequest, slot: int) -> HttpResponse:
    patient, now = _patient(request), timezone.now()
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
            _record_once(
                record_session,
                patient=patient,
                client_uuid=data["client_uuid"],
                local_date=plan.local_date,
                slot=slot,
                logged_at=now,
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
    patient, now = _patient(request), timezone.now()
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
            _record_once(
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
    plan = today_for(_patient(request), timezone.now())
    if plan.check_in is None:
        return redirect("check_in")
    advice = red_flag_advice(plan.check_in.red_flags)
    # The heading says how soon, from the most urgent answer (F13); advice is most urgent first.
    heading = urgency_heading(advice[0].urgency) if advice else ""
    context = {
        "check_in": plan.check_in,
        "advice": advice,
        "heading": heading,
        "nav": "check_in",
    }
    return render(request, "patients/check_in_result.html", context)


@patient_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    patient, now = _patient(request), timezone.now()
    context = {
        "today": today_for(patient, now),
        "responses": questionnaire_history(patient),
        "names": {slug: q.name for slug, q in QUESTIONNAIRES.items()},
        "nav": "questionnaires",
    }
    return render(request, "patients/questionnaires.html", context)


@patient_required
def questionnaire_new(request: HttpRequest) -> HttpResponse:
    patient, now = _patient(request), timezone.now()
    plan = today_for(patient, now)
    questionnaire = QUESTIONNAIRES.get(plan.questionnaire)
    if questionnaire is None:
        raise Http404("No questionnaire without a programme.")
    form = QuestionnaireForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = _record_once(
                record_questionnaire,
                patient=patient,
                client_uuid=form.cleaned_data["client_uuid"],
                questionnaire=questionnaire.slug,
                local_date=plan.local_date,
                answers=form.answers(),
                logged_at=now,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _questionnaire_result(patient, recorded.obj, now))
            return redirect("questionnaires")
    context = {"form": form, "questionnaire": questionnaire, "nav": "questionnaires"}
    return render(request, "patients/questionnaire_form.html", context)


def _questionnaire_result(patient: Patient, response: QuestionnaireResponse, now: Any) -> str:
    """'Thank you. Your VISA-A score: 47 out of 100 (100 = no symptoms). 5 points higher
    than last time. Your next one is due on Friday 27 November.' (walk-through 17)"""
    questionnaire = QUESTIONNAIRES[response.questionnaire]
    earlier = [
        r
        for r in questionnaire_history(patient)
        if r.questionnaire == response.questionnaire
        and r.pk != response.pk
        and (r.local_date, r.created_at) <= (response.local_date, response.created_at)
    ]
    previous = (earlier[0].score, earlier[0].subscales) if earlier else None
    change = describe_change(questionnaire, previous, (response.score, response.subscales))
    due_on = today_for(patient, now).questionnaire_due_on
    due = f" Your next one is due on {due_on:%A} {due_on.day} {due_on:%B}." if due_on else ""
    noun = "results" if questionnaire.subscales else "score"
    return (
        f"Thank you. Your {short_name(questionnaire)} {noun}: {response.summary}."
        f"{' ' + change if change else ''}{due}"
    )


@patient_required
def progress(request: HttpRequest) -> HttpResponse:
    data = weekly_progress(_patient(request), timezone.now())
    charts = progress_charts(data, thresholds=catalogue_snapshot().thresholds)
    context = {"progress": data, "charts": charts, "nav": "progress"}
    return render(request, "patients/progress.html", context)


@patient_required
def preferences(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    initial = {
        "session_times": ", ".join(patient.session_times),
        "time_zone": patient.time_zone,
        "email_reminders": patient.email_reminders,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_reminder_preferences(
                patient=patient,
                session_times=form.times(),
                time_zone=form.cleaned_data["time_zone"],
                email_reminders=form.cleaned_data["email_reminders"],
            )
        except DomainError as error:
            patient.refresh_from_db()
            add_domain_error(form, error)
        else:
            messages.success(request, "Your reminder preferences are saved.")
            return redirect("preferences")
    return render(request, "patients/preferences.html", {"form": form, "nav": "preferences"})


# --- Both roles ---------------------------------------------------------------------------------


@member_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = notifications_for(request.user)[:50]
    return render(request, "patients/notifications.html", {"items": items, "nav": "notifications"})


@member_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_notifications_read(user=request.user, ids=None, now=timezone.now())
    messages.success(request, "All notifications are marked as read.")
    return redirect("notifications")


# --- My data: export ----------------------------------------------------------------------


def download(file: ExportFile) -> HttpResponse:
    return HttpResponse(
        file.body,
        content_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@patient_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/my_data.html", {"nav": "my_data"})


@patient_required
def my_data_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return download(export_file(_patient(request), fmt=fmt, now=timezone.now()))


@therapist_required
def patient_export(request: HttpRequest, pk: uuid.UUID, fmt: str) -> HttpResponse:
    patient = visible_patient(request.user, pk)
    return download(export_file(patient, fmt=fmt, now=timezone.now()))
