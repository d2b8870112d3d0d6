"""Who a signed-in user is, and whose therapist: the one definition the views, API,
templates and services read (rehab knows no app models: users are duck-typed through the
one-to-one `therapist` / `patient` rows the apps hang on them)."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q

Role = Literal["therapist", "patient", "staff", ""]


def role_of(user: Any) -> Role:
    """'therapist', 'patient', 'staff' (clinic staff with no clinical role) or '' (signed
    out, or an account with no role yet)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if hasattr(user, "therapist"):
        return "therapist"
    if hasattr(user, "patient"):
        return "patient"
    return "staff" if getattr(user, "is_staff", False) else ""


def is_patient(user: Any) -> bool:
    """Whether `user` is a patient (one lookup, where role_of may need two)."""
    return bool(getattr(user, "is_authenticated", False)) and hasattr(user, "patient")


def is_therapist_of(user: Any, patient: Any) -> bool:
    """Whether `user` is the therapist of `patient` (anything with a `therapist_id`)."""
    therapist = getattr(user, "therapist", None)
    return therapist is not None and patient.therapist_id == therapist.pk


def visible_patients(user: Any, *, via: str = "") -> Q:
    """The one rule of who sees which patient, as a filter: a therapist their own caseload, a
    patient only themself, anyone else nobody. `via` is the path from the filtered model to
    its patient ("" for Patient itself, "patient" for a programme or a log), so patients,
    programmes and their records all answer "not yours" alike (a 404, never a 403)."""
    prefix = f"{via}__" if via else ""
    therapist = getattr(user, "therapist", None)
    if therapist is not None:
        return Q(**{f"{prefix}therapist": therapist.pk})
    patient = getattr(user, "patient", None)
    if patient is not None:
        return Q(**{via or "pk": patient.pk})
    return Q(pk__in=[])
