"""Writes about people: therapists and patients, diagnoses, invitations, and starting or
ending a patient's programme."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
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
from rehab.roles import is_therapist_of


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
    phone: str = "",
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
        user=user,
        therapist=therapist,
        time_zone=time_zone,
        date_of_birth=date_of_birth,
        phone=phone.strip(),
    )
    validate_model(patient)
    patient.save()
    return patient


@transaction.atomic
def update_contact(*, patient: Patient, by: Any, phone: str, email: str) -> Patient:
    """The therapist corrects how to reach their patient: phone and e-mail (either may be
    blank). Refused for anyone but the patient's own therapist, and once anonymised."""
    if not is_therapist_of(by, patient):
        raise DomainError(
            "Only the patient's therapist can change their contact details.",
            code="permission_denied",
        )
    if patient.anonymised_at is not None:
        raise DomainError("This patient is anonymised.", code="already_anonymised")
    patient.phone = phone.strip()
    patient.user.email = email.strip()
    validate_model(patient)
    validate_model(patient.user)
    patient.user.save(update_fields=["email"])
    patient.save(update_fields=["phone", "updated_at"])
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
    """E-mail the patient a one-time link to choose their password, naming the clinic and
    their therapist, how long the link lasts and what happens next.

    `set_password_url` is built by the caller from Django's password-reset token for this
    user, so the link stops working once a password is set or after
    settings.PASSWORD_RESET_TIMEOUT."""
    user = patient.user
    if not user.email:
        raise DomainError(
            "The patient has no e-mail address for the invitation.",
            fields={"email": ["Add an e-mail address to send an invitation."]},
        )
    clinic = settings.REHAB_CLINIC_NAME
    therapist = str(patient.therapist)
    greeting = f"Hello {user.first_name}," if user.first_name else "Hello,"
    send_mail(
        f"{clinic}: your home exercise programme",
        f"{greeting}\n\n"
        f"{therapist} at {clinic} has set up an account for you to follow your home exercise "
        "programme.\n\n"
        f"Choose your password here: {set_password_url}\n"
        f"The link works once and lasts {link_lifetime()}. If it has expired, ask {therapist} "
        "for a new one.\n\n"
        f"Your username is {user.get_username()}.\n\n"
        "What happens next: once your password is set, sign in to see today's exercises. Each "
        "morning you answer a short check-in, and after each session you note how it went. "
        f"{therapist} follows this and adjusts your programme as you progress.\n",
        None,
        [user.email],
    )


def link_lifetime() -> str:
    """settings.PASSWORD_RESET_TIMEOUT in words: "3 days", "12 hours"."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    days, hours = seconds // 86400, seconds // 3600
    if days and seconds % 86400 == 0:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{max(hours, 1)} hour{'s' if hours != 1 else ''}"
