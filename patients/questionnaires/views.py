"""The patient's questionnaire pages: the list, a new response and its result."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.activity.selectors import (
    today_for,
)
from patients.models import Patient, QuestionnaireResponse
from patients.questionnaires.definitions import QUESTIONNAIRES, describe_change, short_name
from patients.questionnaires.forms import QuestionnaireForm
from patients.questionnaires.selectors import questionnaire_history
from patients.questionnaires.services import record_questionnaire
from patients.web import current_patient, record_once
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.views import patient_required


@patient_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    patient, now = current_patient(request), timezone.now()
    context = {
        "today": today_for(patient, now),
        "responses": questionnaire_history(patient),
        "names": {slug: q.name for slug, q in QUESTIONNAIRES.items()},
        "nav": "questionnaires",
    }
    return render(request, "patients/questionnaires.html", context)


@patient_required
def questionnaire_new(request: HttpRequest) -> HttpResponse:
    patient, now = current_patient(request), timezone.now()
    plan = today_for(patient, now)
    questionnaire = QUESTIONNAIRES.get(plan.questionnaire)
    if questionnaire is None:
        raise Http404("No questionnaire without a programme.")
    form = QuestionnaireForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = record_once(
                record_questionnaire,
                patient=patient,
                client_uuid=form.cleaned_data["client_uuid"],
                questionnaire=questionnaire.slug,
                local_date=plan.local_date,
                answers=form.answers(),
                logged_at=now,
                now=now,
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
