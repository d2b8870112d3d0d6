"""Inviting a patient by e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from patients.people.services import send_invitation
from rehab.exceptions import DomainError

pytestmark = pytest.mark.django_db


def test_an_invitation_emails_the_link_and_the_username(patient: Any) -> None:
    send_invitation(patient=patient, set_password_url="https://clinic.example/set/abc/")
    assert len(mail.outbox) == 1
    assert "https://clinic.example/set/abc/" in mail.outbox[0].body
    assert patient.user.username in mail.outbox[0].body
    assert mail.outbox[0].to == [patient.user.email]


def test_an_invitation_needs_an_email_address(patient: Any) -> None:
    patient.user.email = ""
    with pytest.raises(DomainError) as error:
        send_invitation(patient=patient, set_password_url="https://clinic.example/set/abc/")
    assert "email" in error.value.fields
    assert mail.outbox == []
