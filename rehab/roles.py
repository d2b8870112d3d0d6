"""Who a signed-in user is, and whose therapist: the one definition the views, API,
templates and services read (rehab knows no app models: users are duck-typed through the
one-to-one `therapist` / `patient` rows the apps hang on them)."""

from __future__ import annotations

from typing import Any, Literal

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
