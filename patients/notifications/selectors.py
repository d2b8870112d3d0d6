"""Reads of a user's in-app notifications, and where each one leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from patients.models import (
    Notification,
)
from rehab.roles import is_patient, is_therapist_of, role_of

# The notifications page shows the newest this many.
PAGE_SIZE = 50


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first, with the flag each is about (and its
    patient, whose therapist decides whether the flag can be linked)."""
    return Notification.objects.filter(user=user).select_related("flag__patient")


def notification_link(note: Notification, user: Any) -> str | None:
    """Where a notification leads, if anywhere `user` may go (the one rule for the page, the
    API and opening one): a flag to that flag on its patient's page, for the patient's
    therapist only (a clinic admin told of an escalation, to the patient in the admin if they
    may view patients there); the flag digest to the caseload, for a therapist; a reminder to
    Today, for a patient. None when there is nowhere this user may be sent."""
    if note.flag is not None:
        patient = note.flag.patient
        if is_therapist_of(user, patient):
            return f"{reverse('patient_detail', args=[patient.pk])}#flag-{note.flag.pk}"
        if role_of(user) == "staff" and user.has_perm("patients.view_patient"):
            return reverse("admin:patients_patient_change", args=[patient.pk])
        return None
    if note.kind == Notification.Kind.FLAG_DIGEST and role_of(user) == "therapist":
        return reverse("caseload")
    if note.kind.startswith("reminder:") and is_patient(user):
        return reverse("today")
    return None


def flag_status(note: Notification) -> str | None:
    """The current status of the flag a notification is about (open, acknowledged,
    resolved), None when it is about no flag."""
    return note.flag.status if note.flag is not None else None


@dataclass(frozen=True)
class NotificationRow:
    """One notification as the page shows it: the notification, where it leads (None:
    nowhere) and its flag's current status label (empty: not about a flag)."""

    note: Notification
    link: str | None
    flag_status: str


def notification_rows(user: Any) -> list[NotificationRow]:
    return [
        NotificationRow(
            note,
            notification_link(note, user),
            note.flag.get_status_display() if note.flag is not None else "",
        )
        for note in notifications_for(user)[:PAGE_SIZE]
    ]
