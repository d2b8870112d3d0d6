"""Starting a patient's programme from an intake (the diagnosis and the planned programme,
stored together) and ending it (its unsent reminders go with it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from patients.models import (
    Patient,
    Reminder,
    Therapist,
)
from patients.people.services import record_diagnosis
from patients.reminders.services import replan_reminders
from patients.schedule import local_today
from programmes.models import Programme, ProgrammeRevision
from programmes.planner import (
    Intake,
    Referral,
)
from programmes.services import Change, adjust_programme, prescribe_programme, preview_plan
from rehab.exceptions import DomainError
from rehab.limits import DATE_SLACK, EARLIEST_DATE, MAX_START_AHEAD
from rehab.roles import is_therapist_of


@transaction.atomic
def revise_programme(
    *, programme: Programme, changed_by: Any, change: Change, reason: str, now: datetime
) -> ProgrammeRevision:
    """A therapist's change to a patient's programme (a new revision, programmes/services.py
    `adjust_programme`), with the patient's unsent reminders re-planned from it at once."""
    revision = adjust_programme(
        programme=programme, changed_by=changed_by, change=change, reason=reason
    )
    replan_reminders(patient_ids=[programme.patient_id], now=now)
    return revision


@transaction.atomic
def start_programme(
    *,
    patient: Patient,
    therapist: Therapist,
    intake: Intake,
    made_on: date,
    started_on: date,
    now: datetime,
    notes: str = "",
) -> Programme:
    """Record the diagnosis and prescribe the planner's programme, in one transaction.

    A referral is never stored as a programme: it is refused with the planner's reasons."""
    today = local_today(patient, now)
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
    programme = prescribe_programme(
        diagnosis=diagnosis, plan=result, prescribed_by=therapist.user, started_on=started_on
    )
    # Planned now rather than by the next planner run: today's first reminder may be minutes away.
    replan_reminders(patient_ids=[patient.pk], now=now)
    return programme


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
    # Reminders belong to the programme's schedule: those already due and unsent are kept as
    # skipped (the record says what was not sent), those still ahead are removed with the plan.
    Reminder.objects.filter(
        patient=programme.patient, status=Reminder.Status.PENDING, due_at__lte=now
    ).update(status=Reminder.Status.SKIPPED, updated_at=now)
    replan_reminders(patient_ids=[programme.patient_id], now=now)
    return programme
