"""Reads the REST API needs beyond the shared selectors: each list is built from the caller
(so another patient's or therapist's row is simply absent: a 404), with the related rows its
serializer touches fetched up front, so a page costs the same number of queries at 1 or 200
rows."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import CheckIn, Patient, QuestionnaireResponse, SessionLog
from .selectors import get_or_404, programmes_visible_to  # noqa: F401  (re-exported for the API)


def session_logs_of(patient: Patient) -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(patient=patient).prefetch_related("exercises__exercise")


def check_ins_of(patient: Patient) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient=patient)


def questionnaire_responses_of(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient)
