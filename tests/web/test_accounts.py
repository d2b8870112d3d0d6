"""Signing in, the role-based home page, password reset, lockout, and who may see which page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.factories import web_client_for

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


# --- Home and signing in ------------------------------------------------------------------


def test_home_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize(
    ("who", "target"),
    [("therapist", "caseload"), ("patient", "today"), ("staff", "admin:index")],
)
def test_home_sends_each_role_to_its_start_page(
    who: str, target: str, therapist: Any, patient: Any
) -> None:
    users = {
        "therapist": therapist.user,
        "patient": patient.user,
        "staff": get_user_model().objects.create_user("clinic", is_staff=True),
    }
    response = web_client_for(users[who]).get(reverse("home"))
    assert response["Location"] == reverse(target)


def test_a_patient_signs_in_with_the_login_form(client: Client, patient: Any) -> None:
    assert b"Sign in" in client.get(reverse("login")).content
    response = _login(client, patient.user.username, factories.PASSWORD)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("today")


def test_a_wrong_password_says_so_and_keeps_the_username(client: Client, patient: Any) -> None:
    response = _login(client, patient.user.username, "nope")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please enter a correct username and password" in page
    assert f'value="{patient.user.username}"' in page


def test_signing_out_goes_back_to_the_login_page(patient_client: Client) -> None:
    response = patient_client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


def test_password_reset_sends_a_link_by_email(client: Client, patient: Any) -> None:
    response = client.post(reverse("password_reset"), {"email": patient.user.email})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox[0].to == [patient.user.email]
    assert "/accounts/reset/" in mail.outbox[0].body


# --- Lockout (django-axes) --------------------------------------------------------------------


def test_five_failures_lock_that_username_from_that_address(
    client: Client, patient: Any, therapist: Any
) -> None:
    for _ in range(5):
        _login(client, patient.user.username, "wrong-password")
    locked = _login(client, patient.user.username, factories.PASSWORD)
    assert locked.status_code == 429
    assert b"Signing in is paused" in locked.content
    assert b"15 minutes" in locked.content
    assert "_auth_user_id" not in client.session
    # Another username from the same address is not locked out.
    other = _login(Client(), therapist.user.username, factories.PASSWORD)
    assert other.status_code == 302


def test_four_failures_then_the_right_password_still_signs_in(client: Client, patient: Any) -> None:
    for _ in range(4):
        _login(client, patient.user.username, "wrong-password")
    assert _login(client, patient.user.username, factories.PASSWORD).status_code == 302


# --- Who may see which page -------------------------------------------------------------------


def _therapist_pages(patient: Any, programme: Any, flag_id: Any) -> list[tuple[str, str]]:
    return [
        ("get", reverse("caseload")),
        ("get", reverse("patient_create")),
        ("get", reverse("patient_detail", args=[patient.pk])),
        ("post", reverse("patient_invite", args=[patient.pk])),
        ("get", reverse("programme_new")),
        ("get", reverse("programme_adjust", args=[programme.pk])),
        ("post", reverse("flag_acknowledge", args=[flag_id])),
        ("get", reverse("flag_resolve", args=[flag_id])),
        ("post", reverse("flag_accept", args=[flag_id])),
    ]


PATIENT_PAGES = [
    ("get", "today", []),
    ("get", "log_session", [1]),
    ("get", "check_in", []),
    ("get", "check_in_result", []),
    ("get", "questionnaires", []),
    ("get", "questionnaire_new", []),
    ("get", "progress", []),
    ("get", "preferences", []),
]


def _red_flag(patient: Any) -> Any:
    from patients.activity.services import record_check_in
    from patients.models import Flag
    from tests.factories import NOW

    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        morning_pain_nrs=5,
        stiffness_minutes=5,
        red_flags=["cannot_bear_weight"],
        logged_at=NOW,
        now=NOW,
    )
    return Flag.objects.get(patient=patient, kind="red_flag").pk


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_page(
    client: Client, patient: Any, programme: Any
) -> None:
    urls = [u for _, u in _therapist_pages(patient, programme, uuid.uuid4())]
    urls += [reverse(name, args=args) for _, name, args in PATIENT_PAGES]
    urls += [reverse("notifications")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_another_therapist_gets_404_for_this_caseloads_patient_programme_and_flags(
    colleague_client: Client, patient: Any, programme: Any
) -> None:
    flag = _red_flag(patient)
    for method, url in _therapist_pages(patient, programme, flag)[2:]:
        if url == reverse("programme_new"):
            continue
        assert getattr(colleague_client, method)(url).status_code == 404, url


def test_patients_get_404_for_every_therapist_page(
    patient_client: Client, stranger_client: Client, patient: Any, programme: Any
) -> None:
    flag = _red_flag(patient)
    for client in (patient_client, stranger_client):
        for method, url in _therapist_pages(patient, programme, flag):
            assert getattr(client, method)(url).status_code == 404, url


def test_therapists_and_staff_get_404_for_every_patient_page(
    therapist_client: Client, programme: Any
) -> None:
    staff = web_client_for(get_user_model().objects.create_user("clinic", is_staff=True))
    for client in (therapist_client, staff):
        for method, name, args in PATIENT_PAGES:
            assert getattr(client, method)(reverse(name, args=args)).status_code == 404, name
    assert staff.get(reverse("notifications")).status_code == 404


def test_a_patient_only_ever_sees_their_own_day(
    patient_client: Client, stranger: Any, programme: Any
) -> None:
    page = patient_client.get(reverse("today")).content.decode()
    assert str(stranger) not in page
