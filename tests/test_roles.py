"""One definition of a user's role and of "the patient's therapist" (issue 13, item 3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from rehab.roles import is_patient, is_therapist_of, role_of
from tests import factories

pytestmark = pytest.mark.django_db


def test_each_kind_of_user_has_its_role(patient: Any, therapist: Any) -> None:
    assert role_of(therapist.user) == "therapist"
    assert role_of(patient.user) == "patient"
    assert role_of(factories.UserFactory(is_staff=True)) == "staff"
    assert role_of(factories.UserFactory()) == ""  # an account with no role yet
    assert role_of(AnonymousUser()) == ""
    assert is_patient(patient.user)
    assert not is_patient(therapist.user)
    assert not is_patient(AnonymousUser())


def test_only_the_patients_own_therapist_is_their_therapist(patient: Any, colleague: Any) -> None:
    assert is_therapist_of(patient.therapist.user, patient)
    assert not is_therapist_of(colleague.user, patient)
    assert not is_therapist_of(patient.user, patient)
    assert not is_therapist_of(factories.UserFactory(is_staff=True), patient)
    assert not is_therapist_of(AnonymousUser(), patient)
