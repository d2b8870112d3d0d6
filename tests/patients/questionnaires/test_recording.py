"""A questionnaire response is scored and stored once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from patients.questionnaires.services import record_questionnaire
from tests.factories import NOW

pytestmark = pytest.mark.django_db


VISA_A_BEST = {f"q{n}": 10 for n in range(1, 8)} | {"q8_group": 1, "q8_minutes_band": 4}


def test_a_questionnaire_is_scored_and_stored_once(programme: Any) -> None:
    key = uuid.uuid4()
    first = record_questionnaire(
        patient=programme.patient,
        client_uuid=key,
        questionnaire="visa_a",
        local_date=NOW.date(),
        answers=VISA_A_BEST,
        logged_at=NOW,
        now=timezone.now(),
    )
    again = record_questionnaire(
        patient=programme.patient,
        client_uuid=key,
        questionnaire="visa_a",
        local_date=NOW.date(),
        answers=VISA_A_BEST,
        logged_at=NOW,
        now=timezone.now(),
    )
    assert first.obj.score == 100
    assert again.outcome == "already_present"
