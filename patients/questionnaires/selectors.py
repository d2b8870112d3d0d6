"""Reads of a patient's questionnaire responses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Max, QuerySet

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


def last_questionnaires_on(
    asked: Iterable[tuple[Any, str, date]],
) -> dict[tuple[Any, date], date | None]:
    """last_questionnaire_on for many (patient id, questionnaire, up to day): keyed by
    (patient id, day). One query per distinct day, not per patient."""
    by_day: dict[date, set[Any]] = defaultdict(set)
    wanted: dict[tuple[Any, date], str] = {}
    for patient_id, questionnaire, day in asked:
        by_day[day].add(patient_id)
        wanted[(patient_id, day)] = questionnaire
    last: dict[tuple[Any, date], date | None] = dict.fromkeys(wanted)
    for day, patient_ids in by_day.items():
        rows = (
            QuestionnaireResponse.objects.filter(patient_id__in=patient_ids, local_date__lte=day)
            .values_list("patient_id", "questionnaire")
            .annotate(last=Max("local_date"))
            .order_by()
        )
        for patient_id, questionnaire, on in rows:
            if wanted.get((patient_id, day)) == questionnaire:
                last[(patient_id, day)] = on
    return last


def questionnaire_history(patient: Patient) -> list[QuestionnaireResponse]:
    return list(
        QuestionnaireResponse.objects.filter(patient=patient).order_by("-local_date", "-created_at")
    )


def questionnaire_responses_of(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient)
