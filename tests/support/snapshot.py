"""What a refused request must not have changed: the hostile-input tests (API and web) take
this before and after each request and compare."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from knox.models import AuthToken

from patients.models import (
    CheckIn,
    Diagnosis,
    ExerciseLog,
    Flag,
    Notification,
    Patient,
    QuestionnaireResponse,
    SessionLog,
)
from programmes.models import Programme, ProgrammeRevision
from rehab.models import IdempotencyKey


def stored_state() -> dict[str, Any]:
    """Everything a refused request could have written."""
    return {
        "users": list(get_user_model().objects.order_by("pk").values_list("pk", "first_name")),
        "patients": list(
            Patient.objects.order_by("pk").values_list(
                "pk", "time_zone", "session_times", "email_reminders", "date_of_birth"
            )
        ),
        "sessions": list(SessionLog.objects.order_by("pk").values_list("pk", "updated_at")),
        "exercise_logs": ExerciseLog.objects.count(),
        "check_ins": CheckIn.objects.count(),
        "responses": QuestionnaireResponse.objects.count(),
        "diagnoses": Diagnosis.objects.count(),
        "programmes": Programme.objects.count(),
        "revisions": ProgrammeRevision.objects.count(),
        "flags": list(Flag.objects.order_by("pk").values_list("pk", "status", "resolution_note")),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "tokens": AuthToken.objects.count(),
        "notifications": Notification.objects.filter(read_at__isnull=True).count(),
    }
