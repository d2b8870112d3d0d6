"""Writes for the patients app."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from programmes.models import Condition
from programmes.planner import Intake, intake_to_dict, validate_intake
from programmes.selectors import catalogue_snapshot
from rehab.exceptions import DomainError

from .models import Diagnosis, Patient, Therapist


def _validated(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as error:
        raise DomainError(
            "Please correct the highlighted fields.", fields=error.message_dict
        ) from None


@transaction.atomic
def create_therapist(
    *, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> Therapist:
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    user.set_password(password)
    _validated(user)
    user.save()
    therapist = Therapist(user=user)
    therapist.save()
    return therapist


@transaction.atomic
def create_patient(
    *,
    therapist: Therapist,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    time_zone: str = "Europe/London",
    date_of_birth: date | None = None,
) -> Patient:
    """A patient account on `therapist`'s caseload. No password → the account cannot log in
    until one is set (e.g. through an invitation link)."""
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    _validated(user)
    user.save()
    patient = Patient(
        user=user, therapist=therapist, time_zone=time_zone, date_of_birth=date_of_birth
    )
    _validated(patient)
    patient.save()
    return patient


@transaction.atomic
def record_diagnosis(
    *, patient: Patient, therapist: Therapist, intake: Intake, made_on: date, notes: str = ""
) -> Diagnosis:
    """Store a therapist's diagnosis with the intake exactly as the planner will read it."""
    if patient.therapist_id != therapist.pk:
        raise DomainError(
            "Only the patient's own therapist can record a diagnosis.", code="permission_denied"
        )
    if intake.side is None:
        raise DomainError(
            "Say which side is affected.", fields={"side": ["Choose left, right or both."]}
        )
    validate_intake(intake, catalogue_snapshot())
    diagnosis = Diagnosis(
        patient=patient,
        therapist=therapist,
        condition=Condition.objects.get(slug=intake.condition),
        side=intake.side,
        intake=intake_to_dict(intake),
        made_on=made_on,
        notes=notes,
    )
    _validated(diagnosis)
    diagnosis.save()
    return diagnosis
