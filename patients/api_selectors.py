"""Reads the REST API needs beyond the shared selectors: each list is built from the caller
(so another patient's or therapist's row is simply absent: a 404), with the related rows its
serializer touches fetched up front, so a page costs the same number of queries at 1 or 200
rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet, prefetch_related_objects
from django.http import Http404

from programmes.models import Programme

from .models import CheckIn, Patient, QuestionnaireResponse, SessionLog
from .selectors import Today, patients_visible_to, today_for


def session_logs_of(patient: Patient) -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(patient=patient).prefetch_related("exercises__exercise")


def check_ins_of(patient: Patient) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient=patient)


def questionnaire_responses_of(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient)


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    """A patient's own programmes; a therapist's caseload's programmes."""
    return Programme.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "condition", "protocol", "current_revision", "patient__user"
    )


def get_or_404(queryset: QuerySet[Any], pk: uuid.UUID | str) -> Any:
    """The row with `pk` in `queryset` (already narrowed to what the caller may see), else
    Http404 — also for a malformed id, so a bad id and someone else's id look the same."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise Http404("Not found.") from None


def today_for_api(patient: Patient, now: datetime) -> Today:
    """The shared `today_for`, plus each logged entry's exercise (one query, not one per entry)."""
    today = today_for(patient, now)
    logs: list[Model] = [s.log for s in today.sessions if s.log is not None]
    prefetch_related_objects(logs, "exercises__exercise")
    return today
