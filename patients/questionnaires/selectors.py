"""Reads of a patient's questionnaire responses."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from patients.models import (
    Patient,
    QuestionnaireResponse,
)


def last_questionnaire_on(
    patient: Patient, questionnaire: str, on_or_before: date | None = None
) -> date | None:
    """The date of the patient's last response to `questionnaire` (up to a day, if given)."""
    responses = QuestionnaireResponse.objects.filter(patient=patient, questionnaire=questionnaire)
    if on_or_before is not None:
        responses = responses.filter(local_date__lte=on_or_before)
    return responses.order_by("-local_date").values_list("local_date", flat=True).first()


def questionnaire_history(patient: Patient) -> list[QuestionnaireResponse]:
    return list(
        QuestionnaireResponse.objects.filter(patient=patient).order_by("-local_date", "-created_at")
    )


def questionnaire_responses_of(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient)
