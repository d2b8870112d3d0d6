"""Two-step sign-in on the web and in the admin (issue 18, requirement 5; rehab/two_factor.py):
a password, then a code from an authenticator app or a recovery code. Required for therapists
and staff (set up at their first sign-in), a choice for patients; every event audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories

pytestmark = pytest.mark.django_db


def password_step(client: Client, user: Any, **extra: str) -> Any:
    return client.post(
        reverse("login"), {"username": user.username, "password": factories.PASSWORD, **extra}
    )


def code_step(client: Client, code: str) -> Any:
    return client.post(reverse("two_factor_code"), {"code": code})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def events(user: Any, what: str) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(object_pk=str(user.pk), additional_data__account=what).order_by(
            "pk"
        )
    )


def wrong(device: TOTPDevice) -> str:
    return str((int(factories.code_for(device)) + 500_000) % 1_000_000).zfill(6)


# --- The second step --------------------------------------------------------------------------


def test_a_therapist_signs_in_with_a_password_then_the_code_from_their_app(
    therapist: Any,
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = Client()
    first = password_step(client, therapist.user, next=reverse("programme_new"))
    assert first["Location"] == reverse("two_factor_code")
    # Half-way: signed in as nobody, so no page opens.
    assert not signed_in(client)
    assert client.get(reverse("caseload"))["Location"].startswith(reverse("login"))
    page = client.get(reverse("two_factor_code")).content.decode()
    assert "Enter your code" in page
    assert 'autocomplete="one-time-code"' in page

    done = code_step(client, factories.code_for(device))
    assert done["Location"] == reverse("programme_new")  # where they were going
    assert signed_in(client)
    assert client.get(reverse("caseload")).status_code == 200
    (passed,) = events(therapist.user, "second_step_passed")
    assert passed.actor_id == therapist.user.pk
    assert passed.additional_data["method"] == "authenticator"
    assert passed.remote_addr == "127.0.0.1"


def test_a_wrong_code_is_shown_beside_the_field_and_in_the_summary(
    therapist: Any, frozen_clock: Any
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = Client()
    password_step(client, therapist.user)
    response = code_step(client, wrong(device))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert page.count("That code is not right") == 2  # the summary and beside the field
    assert 'href="#id_code"' in page
    assert not signed_in(client)
    (failed,) = events(therapist.user, "second_step_failed")
    assert failed.actor_id is None  # nobody is signed in yet
    # django-otp's back-off: straight after a wrong code even the right one must wait 1 s.
    assert "wait" in code_step(client, factories.code_for(device)).content.decode()
    frozen_clock.shift(2)
    assert code_step(client, factories.code_for(device, steps_ahead=1)).status_code == 302
    assert signed_in(client)


def test_an_empty_code_is_a_message_not_an_error(therapist: Any) -> None:
    factories.give_authenticator(therapist.user)
    client = Client()
    password_step(client, therapist.user)
    page = code_step(client, "").content.decode()
    assert "Enter the code from your app, or a recovery code." in page
    assert not events(therapist.user, "second_step_failed")


def test_a_recovery_code_works_once(therapist: Any) -> None:
    factories.give_authenticator(therapist.user)
    factories.give_recovery_codes(therapist.user, ("abcd2345", "efgh6723"))
    client = Client()
    password_step(client, therapist.user)
    assert code_step(client, "ABCD 2345").status_code == 302  # case and spaces forgiven
    (passed,) = events(therapist.user, "second_step_passed")
    assert passed.additional_data == {
        "account": "second_step_passed",
        "method": "recovery_code",
        "codes_left": 1,
    }
    client.post(reverse("logout"))

    password_step(client, therapist.user)
    again = code_step(client, "abcd-2345")
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()
    assert not signed_in(client)
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["efgh6723"]


def test_five_wrong_codes_pause_signing_in_as_wrong_passwords_do(
    therapist: Any, frozen_clock: Any
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = Client()
    password_step(client, therapist.user)
    for _ in range(4):
        frozen_clock.shift(60)  # past the back-off and the per-minute limit
        assert code_step(client, wrong(device)).status_code == 200
    frozen_clock.shift(60)
    locked = code_step(client, wrong(device))
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    # The half-way sign-in is gone, and the password alone is refused for 15 minutes.
    assert client.get(reverse("two_factor_code"))["Location"] == reverse("login")
    assert password_step(client, therapist.user).status_code == 429


def test_code_pages_count_against_the_per_address_sign_in_limit(therapist: Any) -> None:
    device = factories.give_authenticator(therapist.user)
    client = Client()
    password_step(client, therapist.user)  # 1 of 10
    for _ in range(9):
        code_step(client, "")
    refused = code_step(client, factories.code_for(device))
    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_a_half_way_sign_in_expires_after_ten_minutes(therapist: Any, frozen_clock: Any) -> None:
    device = factories.give_authenticator(therapist.user)
    client = Client()
    password_step(client, therapist.user)
    frozen_clock.shift(601)
    assert code_step(client, factories.code_for(device))["Location"] == reverse("login")
    assert not signed_in(client)


def test_a_session_signed_in_by_a_password_alone_is_signed_out(therapist: Any) -> None:
    """Django's login called elsewhere, or a session from before two-step sign-in."""
    client = Client()
    client.force_login(therapist.user)
    response = client.get(reverse("caseload"))
    assert response["Location"] == f"{reverse('login')}?next={reverse('caseload')}"
    assert not signed_in(client)


# --- Setting up: forced for therapists and staff ----------------------------------------------


def test_a_therapist_without_an_app_sets_one_up_before_any_page(therapist: Any) -> None:
    client = Client()
    assert password_step(client, therapist.user)["Location"] == reverse("two_factor_set_up")
    assert client.get(reverse("two_factor_code"))["Location"] == reverse("two_factor_set_up")
    assert client.get(reverse("caseload")).status_code == 302
    response = client.get(reverse("two_factor_set_up"))
    assert "no-store" in response["Cache-Control"]  # it shows the secret
    page = response.content.decode()
    assert "Set up two-step sign-in" in page
    assert re.search(r'<svg [^>]*class="qr"', page)
    assert "style=" not in page.split("<main", 1)[1]  # the CSP allows no inline style
    device = TOTPDevice.objects.get(user=therapist.user, confirmed=False)
    secret = re.search(r'<p class="secret" id="secret">([A-Z2-7 ]+)</p>', page)
    assert secret
    assert len(secret[1].replace(" ", "")) == 32
    # Reloading shows the same secret (the person may be half-way through scanning).
    assert secret[1] in client.get(reverse("two_factor_set_up")).content.decode()

    bad = client.post(reverse("two_factor_set_up"), {"code": wrong(device)})
    assert "That code is not right" in bad.content.decode()
    assert not signed_in(client)

    done = client.post(reverse("two_factor_set_up"), {"code": factories.code_for(device)})
    assert done["Location"] == reverse("two_factor_recovery_codes")
    assert signed_in(client)
    codes_page = client.get(reverse("two_factor_recovery_codes")).content.decode()
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", codes_page)
    assert len(codes) == 10
    assert "This is the only time they are shown" in codes_page
    download = client.get(reverse("two_factor_recovery_codes_download"))
    assert download["Content-Disposition"].startswith("attachment")
    assert all(code in download.content.decode() for code in codes)
    # Saved: on to where they were going, and the codes are not shown again.
    assert client.post(reverse("two_factor_recovery_codes"))["Location"] == reverse("home")
    assert client.get(reverse("two_factor_recovery_codes"))["Location"] == reverse("two_factor")
    assert client.get(reverse("caseload")).status_code == 200
    assert len(events(therapist.user, "two_factor_turned_on")) == 1

    # The next sign-in takes one of the codes.
    client.post(reverse("logout"))
    password_step(client, therapist.user)
    assert code_step(client, codes[3]).status_code == 302


def test_a_therapist_cannot_turn_it_off(therapist: Any) -> None:
    client = factories.web_client_for(therapist.user)
    page = client.get(reverse("two_factor")).content.decode()
    assert "required for clinic accounts" in page
    assert "Turn off" not in page


# --- Patients: a choice --------------------------------------------------------------------------


def test_a_patient_without_it_signs_in_with_the_password_alone(patient: Any) -> None:
    client = Client()
    assert password_step(client, patient.user)["Location"] == reverse("home")
    assert signed_in(client)


def test_a_patient_turns_it_on_and_off_from_their_account(
    patient: Any, programme: Any, frozen_clock: Any
) -> None:
    client = factories.web_client_for(patient.user)
    assert reverse("two_factor") in client.get(reverse("preferences")).content.decode()
    assert "Two-step sign-in is <strong>off</strong>" in (
        client.get(reverse("two_factor")).content.decode()
    )
    client.get(reverse("two_factor_set_up"))
    device = TOTPDevice.objects.get(user=patient.user)
    done = client.post(reverse("two_factor_set_up"), {"code": factories.code_for(device)})
    assert done["Location"] == reverse("two_factor_recovery_codes")
    assert client.post(reverse("two_factor_recovery_codes"))["Location"] == reverse("two_factor")
    assert client.get(reverse("today")).status_code == 200  # this session is verified

    client.post(reverse("logout"))
    assert password_step(client, patient.user)["Location"] == reverse("two_factor_code")
    code_step(client, factories.code_for(device, steps_ahead=1))
    assert signed_in(client)

    page = client.get(reverse("two_factor")).content.decode()
    assert "Two-step sign-in is <strong>on</strong>" in page
    assert "<strong>10</strong> recovery codes left" in page
    off = client.post(reverse("two_factor"), {"code": "nope"})
    assert "That code is not right" in off.content.decode()
    frozen_clock.shift(2)  # django-otp's back-off after a wrong code
    client.post(reverse("two_factor"), {"code": StaticToken.objects.first().token})
    assert not TOTPDevice.objects.filter(user=patient.user).exists()
    assert [e.action for e in events(patient.user, "two_factor_turned_off")] == [
        LogEntry.Action.UPDATE
    ]
    client.post(reverse("logout"))
    assert password_step(client, patient.user)["Location"] == reverse("home")


def test_new_recovery_codes_replace_the_old_ones(therapist: Any) -> None:
    factories.give_recovery_codes(therapist.user, ("abcd2345",))
    client = factories.web_client_for(therapist.user)
    response = client.post(reverse("two_factor_new_recovery_codes"))
    assert response["Location"] == reverse("two_factor_recovery_codes")
    page = client.get(reverse("two_factor_recovery_codes")).content.decode()
    assert len(re.findall(r"<code>[a-z2-7]{4}-[a-z2-7]{4}</code>", page)) == 10
    assert not StaticToken.objects.filter(token="abcd2345").exists()
    (made,) = events(therapist.user, "recovery_codes_regenerated")
    assert made.actor_id == therapist.user.pk


# --- The admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(db: None) -> Any:
    return get_user_model().objects.create_superuser(
        "clinic.admin", "a@example.org", factories.PASSWORD
    )


def test_the_admin_is_closed_to_a_session_without_the_second_step(staff: Any) -> None:
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(client)


def test_the_admin_sign_in_leads_to_the_sites_two_steps(staff: Any) -> None:
    client = Client()
    to_login = client.get(reverse("admin:login"), {"next": "/admin/auditlog/"})
    assert to_login["Location"] == f"{reverse('login')}?next=/admin/auditlog/"
    # Its form does not sign anybody in with a password alone.
    client.post(reverse("admin:login"), {"username": staff.username, "password": "x"})
    assert not signed_in(client)
    assert password_step(client, staff)["Location"] == reverse("two_factor_set_up")


def test_staff_signed_in_with_a_code_reach_the_admin(staff: Any) -> None:
    device = factories.give_authenticator(staff)
    client = Client()
    password_step(client, staff, next=reverse("admin:index"))
    assert code_step(client, factories.code_for(device))["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_admin_resets_a_lost_phone_and_the_therapist_sets_up_again(
    staff: Any, therapist: Any
) -> None:
    factories.give_recovery_codes(therapist.user)
    theirs = factories.web_client_for(therapist.user)
    admin = factories.web_client_for(staff)
    changelist = reverse("admin:auth_user_changelist")
    assert "Two-step sign-in" in admin.get(changelist).content.decode()
    response = admin.post(
        changelist, {"action": "reset_two_step", "_selected_action": [therapist.user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=therapist.user).exists()
    assert not StaticToken.objects.filter(device__user=therapist.user).exists()
    (reset,) = events(therapist.user, "two_factor_reset")
    assert reset.actor_id == staff.pk
    # Their open session is signed out; their next sign-in sets up an app.
    assert theirs.get(reverse("caseload")).status_code == 302
    assert password_step(Client(), therapist.user)["Location"] == reverse("two_factor_set_up")


def test_the_admin_shows_nobodys_secret(staff: Any) -> None:
    from django.contrib import admin

    assert TOTPDevice not in admin.site._registry
    assert not any(m._meta.app_label == "otp_static" for m in admin.site._registry)
