"""The invitation e-mail (issue 17, requirement 7): it names the clinic and the therapist, says
how long the link lasts and what happens next."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from patients.people.services import link_lifetime, send_invitation

pytestmark = pytest.mark.django_db


@override_settings(REHAB_CLINIC_NAME="Riverside Physio", PASSWORD_RESET_TIMEOUT=3 * 86400)
def test_the_invitation_names_the_clinic_and_therapist_the_expiry_and_the_next_step(
    patient: Any,
) -> None:
    patient.therapist.user.first_name, patient.therapist.user.last_name = "Jo", "Demo"
    patient.therapist.user.save()

    send_invitation(patient=patient, set_password_url="https://clinic.example/set/abc/")

    (message,) = mail.outbox
    assert "Riverside Physio" in message.subject
    assert "Jo Demo at Riverside Physio" in message.body
    assert "lasts 3 days" in message.body
    assert "ask Jo Demo for a new one" in message.body
    assert "What happens next" in message.body
    assert "https://clinic.example/set/abc/" in message.body
    assert patient.user.username in message.body


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(86400, "1 day"), (3 * 86400, "3 days"), (3600, "1 hour"), (12 * 3600, "12 hours")],
)
def test_the_link_lifetime_is_said_in_words(seconds: int, words: str) -> None:
    with override_settings(PASSWORD_RESET_TIMEOUT=seconds):
        assert link_lifetime() == words
