"""The one notify(): an in-app notification for each user, one e-mail to those with an
address, none when e-mail is off (issue 13: four copies became one)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from patients.models import Notification
from patients.notifications.services import mark_notifications_read, notify
from tests import factories
from tests.patients.recording import FIRST_MORNING

pytestmark = pytest.mark.django_db


def test_each_user_gets_a_notification_and_those_with_an_address_one_email() -> None:
    users = [
        factories.UserFactory(email="a@example.org"),
        factories.UserFactory(email=""),
        factories.UserFactory(email="c@example.org"),
    ]
    notify(users, kind="red_flag_escalation", title="T", body="in the app", email_body="mail")
    assert Notification.objects.filter(kind="red_flag_escalation").count() == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.org", "c@example.org"]
    assert mail.outbox[0].body == "mail"


@pytest.mark.parametrize("email", [True, False])
def test_email_off_keeps_it_in_the_app(email: bool) -> None:
    user: Any = factories.UserFactory(email="p@example.org")
    notify([user], kind="reminder:nudge", title="T", body="B", email=email)
    assert Notification.objects.get(user=user).body == "B"
    assert len(mail.outbox) == (1 if email else 0)


def test_marking_notifications_read_ignores_other_peoples(patient: Any, therapist: Any) -> None:
    mine = Notification.objects.create(user=patient.user, kind="k", title="mine")
    theirs = Notification.objects.create(user=therapist.user, kind="k", title="theirs")
    changed = mark_notifications_read(
        user=patient.user, ids=[mine.pk, theirs.pk], now=FIRST_MORNING
    )
    assert changed == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at == FIRST_MORNING
    assert theirs.read_at is None
