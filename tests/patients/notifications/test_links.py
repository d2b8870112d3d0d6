"""Notifications that lead somewhere (issue 17, requirement 4): a flag's notifications know their
flag, and each leads only where its reader may go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from patients.models import Flag, Notification
from patients.monitoring.services import (
    escalate_unacknowledged_flags,
    notify_flag,
    resolve_flag,
    send_flag_digest,
)
from patients.notifications.selectors import flag_status, notification_link, notifications_for
from rehab.apps import CLINIC_ADMINS
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def _red_flag(patient: Any, urgency: str = "urgent") -> Flag:
    return factories.make_flag(
        patient,
        kind=Flag.Kind.RED_FLAG,
        rule=f"red_flag:{urgency}",
        severity=Flag.Severity.URGENT,
        evidence={"answer": "x", "urgency": urgency},
    )


def _admin(*perms: str) -> Any:
    group, _ = Group.objects.get_or_create(name=CLINIC_ADMINS)
    user = factories.UserFactory(is_staff=True, email="admin@clinic.example")
    user.groups.add(group)
    user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    return user


def test_the_red_flag_notification_leads_the_therapist_to_the_flag(patient: Any) -> None:
    flag = _red_flag(patient)
    notify_flag(flag=flag, now=NOW)
    user = patient.therapist.user
    note = notifications_for(user).get()
    assert note.flag == flag
    expected = f"{reverse('patient_detail', args=[patient.pk])}#flag-{flag.pk}"
    assert notification_link(note, user) == expected
    assert flag_status(note) == "open"


def test_the_status_shown_is_the_flags_current_one(patient: Any) -> None:
    flag = _red_flag(patient)
    notify_flag(flag=flag, now=NOW)
    resolve_flag(flag=flag, by=patient.therapist.user, note="Phoned; seen in clinic.", now=NOW)
    assert flag_status(notifications_for(patient.therapist.user).get()) == "resolved"


def test_a_flag_notification_leads_nowhere_for_anyone_but_the_patients_therapist(
    patient: Any, colleague: Any
) -> None:
    flag = _red_flag(patient)
    for user in (colleague.user, patient.user):
        note = Notification.objects.create(user=user, kind="red_flag", title="t", flag=flag)
        assert notification_link(note, user) is None


def test_the_escalation_knows_its_flag_and_leads_an_admin_only_where_they_may_look(
    patient: Any,
) -> None:
    flag = _red_flag(patient)
    Flag.objects.filter(pk=flag.pk).update(created_at=NOW - timedelta(hours=2))
    plain, viewer = _admin(), _admin("view_patient")
    escalate_unacknowledged_flags(now=NOW)
    assert Notification.objects.get(user=plain).flag == flag
    assert notification_link(Notification.objects.get(user=plain), plain) is None
    assert notification_link(Notification.objects.get(user=viewer), viewer) == reverse(
        "admin:patients_patient_change", args=[patient.pk]
    )


def test_the_digest_leads_a_therapist_to_the_caseload(patient: Any) -> None:
    factories.make_flag(patient)
    send_flag_digest(therapist=patient.therapist, now=NOW)
    note = Notification.objects.get(kind="flag_digest")
    assert notification_link(note, patient.therapist.user) == reverse("caseload")
    assert flag_status(note) is None


def test_a_reminder_leads_the_patient_to_today_and_nobody_else_anywhere(
    patient: Any, therapist: Any
) -> None:
    for user, link in ((patient.user, reverse("today")), (therapist.user, None)):
        note = Notification.objects.create(user=user, kind="reminder:session", title="t")
        assert notification_link(note, user) == link


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acting_on_a_flag_marks_the_therapists_notices_of_it_read_but_not_the_admins(
    patient: Any, action: str
) -> None:
    from patients.monitoring.services import acknowledge_flag

    admin = _admin()
    flag = _red_flag(patient)
    other = _red_flag(patient, urgency="same_day")
    notify_flag(flag=flag, now=NOW)
    notify_flag(flag=other, now=NOW)
    Notification.objects.create(user=admin, kind="red_flag_escalation", title="x", flag=flag)
    therapist = patient.therapist.user
    if action == "acknowledge":
        acknowledge_flag(flag=flag, by=therapist, now=NOW)
    else:
        resolve_flag(flag=flag, by=therapist, note="Phoned; seen in clinic.", now=NOW)
    assert Notification.objects.get(user=therapist, flag=flag).read_at == NOW
    assert Notification.objects.get(user=therapist, flag=other).read_at is None  # not this one
    assert Notification.objects.get(user=admin, flag=flag).read_at is None
