"""Writes about people: therapists and patients, diagnoses, invitations, and starting or
ending a patient's programme."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction

from patients.models import (
    Diagnosis,
    Patient,
    Therapist,
)
from programmes.models import Condition
from programmes.planner import (
    Intake,
    intake_to_dict,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from rehab.exceptions import DomainError, validate_model
from rehab.limits import DATE_SLACK, EARLIEST_BIRTH


@transaction.atomic
def create_therapist(
    *, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> Therapist:
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    user.set_password(password)
    validate_model(user)
    user.save()
    therapist = Therapist(user=user)
    therapist.save()
    return therapist


def password_problems(password: str, *, user: Any) -> list[str]:
    """The one password policy (settings.AUTH_PASSWORD_VALIDATORS: length, not only numbers,
    not common, not like the username or name), for the web form and the API alike."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return list(error.messages)
    return []


def patient_account_problems(
    *,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    date_of_birth: date | None = None,
    today: date,
) -> dict[str, list[str]]:
    """Every problem with a new patient's account at once, by field (walk-through 9: the
    date of birth used to be checked first and the username only after it was fixed, one
    round per submit). The web form and `create_patient` (and so the API) both ask here."""
    user = get_user_model()(
        username=username, first_name=first_name, last_name=last_name, email=email
    )
    problems: dict[str, list[str]] = {}
    try:
        # Username (characters, length, taken), names and e-mail, all reported together.
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        problems.update(error.message_dict)
    if date_of_birth is not None and not (EARLIEST_BIRTH <= date_of_birth <= today + DATE_SLACK):
        problems["date_of_birth"] = [f"Use a date from {EARLIEST_BIRTH} to today."]
    if password and (found := password_problems(password, user=user)):
        problems["password"] = found
    return problems


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
    now: datetime,
) -> Patient:
    """A patient account on `therapist`'s caseload. No password → the account cannot log in
    until one is set (e.g. through an invitation link)."""
    account = {"username": username, "first_name": first_name, "last_name": last_name}
    problems = patient_account_problems(
        **account, email=email, password=password, date_of_birth=date_of_birth, today=now.date()
    )
    if problems:
        raise DomainError("Please correct the highlighted fields.", fields=problems)
    user = get_user_model()(**account, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    validate_model(user)
    user.save()
    patient = Patient(
        user=user, therapist=therapist, time_zone=time_zone, date_of_birth=date_of_birth
    )
    validate_model(patient)
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
    validate_model(diagnosis)
    diagnosis.save()
    return diagnosis


def send_invitation(*, patient: Patient, set_password_url: str) -> None:
    """E-mail the patient a one-time link to choose their password.

    `set_password_url` is built by the caller from Django's password-reset token for this
    user, so the link stops working once a password is set."""
    user = patient.user
    if not user.email:
        raise DomainError(
            "The patient has no e-mail address for the invitation.",
            fields={"email": ["Add an e-mail address to send an invitation."]},
        )
    send_mail(
        "Your home exercise programme",
        f"Your therapist has set up an account for you.\n\n"
        f"Choose your password here: {set_password_url}\n\n"
        f"Your username is {user.get_username()}.",
        None,
        [user.email],
    )
