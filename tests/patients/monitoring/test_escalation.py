"""Escalation (requirement 5): a same-day or emergency red flag that nobody acknowledges within
REHAB_ESCALATE_AFTER_MINUTES goes to the clinic admins, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail

from patients.models import Flag, Notification
from patients.monitoring.services import escalate_unacknowledged_flags
from patients.monitoring.tasks import escalate_red_flags
from rehab.apps import CLINIC_ADMINS
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db

AFTER = timedelta(minutes=30)


@pytest.fixture
def admin(db: None) -> Any:
    """A staff user in the "Clinic admins" group (made by rehab's post_migrate)."""
    group, _ = Group.objects.get_or_create(name=CLINIC_ADMINS)
    user = factories.UserFactory(is_staff=True, email="admin@clinic.example")
    user.groups.add(group)
    return user


def _red_flag(patient: Any, urgency: str, *, raised: datetime = NOW) -> Flag:
    flag = factories.make_flag(
        patient,
        kind=Flag.Kind.RED_FLAG,
        rule=f"red_flag:{urgency}",
        severity=Flag.Severity.URGENT,
        evidence={"answer": "x", "urgency": urgency},
    )
    Flag.objects.filter(pk=flag.pk).update(created_at=raised)
    flag.refresh_from_db()
    return flag


@pytest.mark.parametrize("urgency", ["urgent", "emergency"])
def test_an_unacknowledged_same_day_or_emergency_flag_is_escalated_once(
    admin: Any, patient: Any, urgency: str
) -> None:
    flag = _red_flag(patient, urgency)
    assert escalate_unacknowledged_flags(now=NOW + AFTER - timedelta(seconds=1)) == 0
    assert escalate_unacknowledged_flags(now=NOW + AFTER) == 1
    assert escalate_unacknowledged_flags(now=NOW + AFTER + timedelta(minutes=5)) == 0
    flag.refresh_from_db()
    assert flag.escalated_at == NOW + AFTER
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert "not acknowledged" in mail.outbox[0].subject
    assert Notification.objects.filter(user=admin, kind="red_flag_escalation").count() == 1


def test_the_periodic_task_run_twice_sends_nothing_the_second_time(
    admin: Any, patient: Any
) -> None:
    _red_flag(patient, "urgent", raised=NOW - timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        escalate_red_flags.apply()
        escalate_red_flags.apply()
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind="red_flag_escalation").count() == 1


def test_an_acknowledged_flag_is_not_escalated(admin: Any, patient: Any) -> None:
    flag = _red_flag(patient, "urgent")
    Flag.objects.filter(pk=flag.pk).update(
        status=Flag.Status.ACKNOWLEDGED, acknowledged_at=NOW + timedelta(minutes=10)
    )
    assert escalate_unacknowledged_flags(now=NOW + timedelta(hours=2)) == 0
    assert mail.outbox == []


@pytest.mark.parametrize("urgency", ["routine", "soon"])
def test_a_routine_or_within_days_flag_is_not_escalated(
    admin: Any, patient: Any, urgency: str
) -> None:
    _red_flag(patient, urgency)
    assert escalate_unacknowledged_flags(now=NOW + timedelta(hours=2)) == 0
    assert mail.outbox == []


def test_other_urgent_flags_and_other_users_are_left_alone(admin: Any, patient: Any) -> None:
    """Only red flags escalate; a staff user outside the group and a plain group member who
    is not staff get nothing."""
    factories.make_flag(patient, severity=Flag.Severity.URGENT)
    outsider = factories.UserFactory(is_staff=True, email="staff@clinic.example")
    not_staff = factories.UserFactory(email="member@clinic.example")
    not_staff.groups.add(Group.objects.get(name=CLINIC_ADMINS))
    _red_flag(patient, "emergency")
    escalate_unacknowledged_flags(now=NOW + timedelta(hours=2))
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert not Notification.objects.filter(user__in=[outsider, not_staff]).exists()


def test_the_escalation_names_the_patient_only_as_the_therapist_email_does(
    admin: Any, patient: Any
) -> None:
    """Patient data rule: the name (as in the therapist's e-mail), never the date of birth,
    e-mail address or username."""
    _red_flag(patient, "urgent")
    escalate_unacknowledged_flags(now=NOW + timedelta(hours=1))
    text = mail.outbox[0].subject + mail.outbox[0].body
    user = patient.user
    for private in (user.email, user.username, str(patient.date_of_birth)):
        assert private not in text
    assert str(patient.therapist) in text


def test_the_delay_is_a_setting_and_the_sweep_is_scheduled() -> None:
    assert settings.REHAB_ESCALATE_AFTER_MINUTES == 30
    entry = settings.CELERY_BEAT_SCHEDULE["red-flag-escalation"]
    assert entry["task"] == escalate_red_flags.name == "patients.escalate_red_flags"


def test_anonymising_the_patient_removes_their_name_from_the_escalation(
    admin: Any, patient: Any
) -> None:
    from django.utils import timezone

    from patients.privacy.services import anonymise_patient

    name = str(patient)
    _red_flag(patient, "urgent")
    escalate_unacknowledged_flags(now=NOW + timedelta(hours=1))
    anonymise_patient(patient=patient, by=admin, reason="Request ref 1", now=timezone.now())
    note = Notification.objects.get(user=admin, kind="red_flag_escalation")
    assert name not in note.title
    assert name not in note.body
