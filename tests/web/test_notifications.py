"""The notifications page leads somewhere (issue 17, requirement 4): each notification links to
what it is about, opening it marks it read, a flag's current status is shown, and each can be
marked read on its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import Flag, Notification
from patients.monitoring.services import notify_flag
from tests import factories
from tests.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def red_flag(patient: Any) -> Flag:
    flag = factories.make_flag(
        patient,
        kind=Flag.Kind.RED_FLAG,
        rule="red_flag:urgent",
        severity=Flag.Severity.URGENT,
        evidence={"answer": "x", "urgency": "urgent"},
    )
    notify_flag(flag=flag, now=NOW)
    return flag


def test_a_red_flag_notification_links_to_the_flag_and_opening_it_marks_it_read(
    therapist_client: Client, red_flag: Flag
) -> None:
    note = Notification.objects.get(flag=red_flag)
    open_url = reverse("notification_open", args=[note.pk])
    page = therapist_client.get(reverse("notifications")).content.decode()
    assert f'href="{open_url}"' in page
    assert "Flag status: <strong>Open</strong>" in page
    response = therapist_client.get(open_url)
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('patient_detail', args=[red_flag.patient_id])}#flag-{red_flag.pk}"
    )
    note.refresh_from_db()
    assert note.read_at is not None
    assert "New</span>" not in therapist_client.get(reverse("notifications")).content.decode()


def test_the_page_shows_the_flags_status_after_it_is_resolved(
    therapist_client: Client, red_flag: Flag
) -> None:
    therapist_client.post(reverse("flag_resolve", args=[red_flag.pk]), {"note": "Phoned."})
    page = therapist_client.get(reverse("notifications")).content.decode()
    assert "Flag status: <strong>Resolved</strong>" in page


def test_one_notification_is_marked_read_with_a_post_and_the_others_stay_new(
    patient_client: Client, patient: Any
) -> None:
    one, other = (
        Notification.objects.create(user=patient.user, kind="reminder:session", title=t)
        for t in ("one", "other")
    )
    url = reverse("notification_read", args=[one.pk])
    page = patient_client.get(reverse("notifications")).content.decode()
    assert f'action="{url}"' in page
    assert patient_client.get(url).status_code == 405
    response = patient_client.post(url)
    assert response["Location"] == f"{reverse('notifications')}#n-{one.pk}"
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None
    assert other.read_at is None


def test_a_reminder_leads_the_patient_to_today(patient_client: Client, patient: Any) -> None:
    note = Notification.objects.create(user=patient.user, kind="reminder:session", title="t")
    response = patient_client.get(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == reverse("today")


def test_someone_elses_notification_cannot_be_opened_or_marked_read(
    colleague_client: Client, red_flag: Flag
) -> None:
    note = Notification.objects.get(flag=red_flag)
    assert colleague_client.get(reverse("notification_open", args=[note.pk])).status_code == 404
    assert colleague_client.post(reverse("notification_read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_patient_is_never_shown_a_clinicians_link(
    patient_client: Client, patient: Any, red_flag: Flag
) -> None:
    note = Notification.objects.create(user=patient.user, kind="red_flag", title="t", flag=red_flag)
    page = patient_client.get(reverse("notifications")).content.decode()
    assert reverse("patient_detail", args=[patient.pk]) not in page
    assert f'href="{reverse("notification_open", args=[note.pk])}"' not in page
    response = patient_client.get(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == f"{reverse('notifications')}#n-{note.pk}"
