"""Recording a questionnaire response (scored by its definition, stored once per uuid)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime

from django.db import transaction

from patients.activity.services import (
    Outcome,
    Recorded,
    _check_local_date,
    _replay_or_conflict,
    _save_or_replay,
)
from patients.models import (
    Patient,
    QuestionnaireResponse,
)
from patients.questionnaires.definitions import score


@transaction.atomic
def record_questionnaire(
    *,
    patient: Patient,
    client_uuid: uuid.UUID,
    questionnaire: str,
    local_date: date,
    answers: Mapping[str, object],
    logged_at: datetime,
    now: datetime,
) -> Recorded:
    """Score and store a questionnaire response; idempotent on `client_uuid`."""
    _check_local_date(patient, local_date, now)
    result = score(questionnaire, answers)
    fields = {"questionnaire": questionnaire, "local_date": local_date, "answers": dict(answers)}
    existing = QuestionnaireResponse.objects.filter(
        patient=patient, client_uuid=client_uuid
    ).first()
    if existing is not None:
        return _replay_or_conflict(existing, fields)
    response = QuestionnaireResponse(
        patient=patient,
        client_uuid=client_uuid,
        score=result.total,
        subscales=dict(result.subscales),
        logged_at=logged_at,
        **fields,
    )
    if (raced := _save_or_replay(response, fields)) is not None:
        return raced
    return Recorded(response, Outcome.CREATED)
