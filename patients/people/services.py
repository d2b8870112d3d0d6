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
from django.utils import timezone

from patients.models import (
    Diagnosis,
    Patient,
    Reminder,
    Therapist,
)
from patients.schedule import local_today
from programmes.models import Condition, Programme
from programmes.planner import (
    Intake,
    PlanResult,
    Referral,
    intake_to_dict,
    plan,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from programmes.services import prescribe_programme
from rehab.exceptions import DomainError, validate_model
from rehab.limits import DATE_SLACK, EARLIEST_BIRTH, EARLIEST_DATE, MAX_START_AHEAD
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
    if date_of_birth is not None and not (
        EARLIEST_BIRTH <= date_of_birth <= timezone.now().date() + DATE_SLACK
    ):
        raise DomainError(
            "Please correct the date of birth.",
            fields={"date_of_birth": [f"Use a date from {EARLIEST_BIRTH} to today."]},
        )
    if password:
        problems = password_problems(password, user=user)
        if problems:
            raise DomainError("Choose a stronger password.", fields={"password": problems})
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


def preview_plan(*, intake: Intake) -> PlanResult:
    """What the planner would prescribe (or why it refers), without storing anything."""
    catalogue = catalogue_snapshot()
    validate_intake(intake, catalogue)
    return plan(intake, catalogue)


@transaction.atomic
def start_programme(
    *,
    patient: Patient,
    therapist: Therapist,
    intake: Intake,
    made_on: date,
    started_on: date,
    notes: str = "",
) -> Programme:
    """Record the diagnosis and prescribe the planner's programme, in one transaction.

    A referral is never stored as a programme: it is refused with the planner's reasons."""
    today = local_today(patient, timezone.now())
    if not EARLIEST_DATE <= made_on <= today + DATE_SLACK:
        raise DomainError(
            "Please correct the diagnosis date.",
            fields={"made_on": [f"Use a date from {EARLIEST_DATE} to today."]},
        )
    if not EARLIEST_DATE <= started_on <= today + MAX_START_AHEAD:
        raise DomainError(
            "Please correct the start date.",
            fields={
                "started_on": [
                    f"Use a date from {EARLIEST_DATE} to {MAX_START_AHEAD.days} days from today."
                ]
            },
        )
    result = preview_plan(intake=intake)
    if isinstance(result, Referral):
        raise DomainError(
            "The planner refers this patient instead of prescribing a home programme.",
            code="referral",
            fields={"condition": [reason.message for reason in result.reasons]},
        )
    diagnosis = record_diagnosis(
        patient=patient, therapist=therapist, intake=intake, made_on=made_on, notes=notes
    )
    return prescribe_programme(
        diagnosis=diagnosis, plan=result, prescribed_by=therapist.user, started_on=started_on
    )


@transaction.atomic
def end_programme(*, programme: Programme, by: Any, now: datetime, reason: str = "") -> Programme:
    """Discharge or stop: the programme stays on record, ended (with the therapist's reason,
    if given), and reminders stop."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if not is_therapist_of(by, programme.patient):
        raise DomainError(
            "Only the patient's therapist can end this programme.", code="permission_denied"
        )
    if programme.status != Programme.Status.ACTIVE:
        raise DomainError("This programme has already ended.", code="programme_ended")
    programme.status = Programme.Status.ENDED
    programme.ended_reason = reason.strip()
    programme.save(update_fields=["status", "ended_reason", "updated_at"])
    # Reminders belong to the programme's schedule: those already planned go with it.
    Reminder.objects.filter(patient=programme.patient, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SKIPPED, updated_at=now
    )
    return programme


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
