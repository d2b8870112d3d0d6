"""Token login (knox through django-axes), logout of one device or all, 401s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories
from tests.factories import api_client_for

LOGIN = "/api/v1/auth/login/"


LOGIN_CODE = "/api/v1/auth/login/code/"


def login(client: APIClient, username: str, password: str = factories.PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


def second_step(client: APIClient, challenge: str, code: str) -> Any:
    return client.post(LOGIN_CODE, {"challenge": challenge, "code": code}, format="json")


def log_in_with_code(client: APIClient, user: Any) -> Any:
    """Both steps, with the code the user's app shows now."""
    first = login(client, user.username)
    assert first.status_code == 202, first.content
    device = TOTPDevice.objects.get(user=user)
    return second_step(client, first.json()["challenge"], factories.code_for(device))


def test_login_returns_a_device_token_that_opens_the_api(patient: Any, programme: Any) -> None:
    client = APIClient()
    response = client.post(
        LOGIN,
        {"username": patient.user.username, "password": factories.PASSWORD, "device_name": "P8"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "patient"
    assert body["expiry"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/today/").status_code == 200


def test_login_tells_a_therapist_their_role(therapist: Any) -> None:
    factories.give_authenticator(therapist.user)
    assert log_in_with_code(APIClient(), therapist.user).json()["user"]["role"] == "therapist"


def test_login_rejects_a_wrong_password_with_a_clear_body(patient: Any) -> None:
    response = login(APIClient(), patient.user.username, "nope")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Wrong username or password.",
        "fields": {},
    }


def test_login_rejects_missing_fields_with_field_errors(db: None) -> None:
    response = APIClient().post(LOGIN, {"username": ""}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


def test_five_failures_lock_the_account_from_that_address_even_with_the_right_password(
    patient: Any, therapist: Any
) -> None:
    client = APIClient()
    answers = [login(client, patient.user.username, "wrong").status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks
    locked = login(client, patient.user.username)
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert locked["Content-Type"] == "application/json"
    assert int(locked["Retry-After"]) == 15 * 60
    # Only that username is locked from that address.
    factories.give_authenticator(therapist.user)
    assert login(client, therapist.user.username).status_code == 202
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert login(client, patient.user.username).status_code == 200


def test_the_eleventh_login_a_minute_from_one_address_is_throttled(patient: Any) -> None:
    client = APIClient()
    for _ in range(10):
        login(client, "nobody", "x")
    response = login(client, patient.user.username)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response


def test_a_user_at_the_token_limit_can_still_log_in_and_the_oldest_token_goes(
    patient: Any,
) -> None:
    for _ in range(20):
        AuthToken.objects.create(patient.user)
    assert login(APIClient(), patient.user.username).status_code == 200
    assert AuthToken.objects.filter(user=patient.user).count() == 20


def test_logout_revokes_only_this_devices_token(patient: Any, programme: Any) -> None:
    phone, tablet = api_client_for(patient.user), api_client_for(patient.user)
    assert phone.post("/api/v1/auth/logout/").status_code == 204
    assert phone.get("/api/v1/today/").status_code == 401
    assert tablet.get("/api/v1/today/").status_code == 200


def test_logout_all_revokes_every_token(patient: Any, programme: Any) -> None:
    phone, tablet = api_client_for(patient.user), api_client_for(patient.user)
    assert phone.post("/api/v1/auth/logout-all/").status_code == 204
    assert phone.get("/api/v1/today/").status_code == 401
    assert tablet.get("/api/v1/today/").status_code == 401


def test_an_expired_token_is_a_401(patient: Any, programme: Any) -> None:
    client = api_client_for(patient.user)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.get("/api/v1/today/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("path", ["/api/v1/today/", "/api/v1/caseload/", "/api/v1/me/"])
def test_no_token_is_a_401_with_the_token_challenge(db: None, path: str) -> None:
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }


def test_the_browser_session_works_too(patient: Any, programme: Any) -> None:
    client = APIClient()
    client.force_login(patient.user)
    assert client.get("/api/v1/today/").status_code == 200


# --- Two-step sign-in (rehab/two_factor.py) -------------------------------------------------


def test_a_therapist_gets_a_challenge_not_a_token_then_a_token_for_the_right_code(
    therapist: Any,
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = APIClient()
    first = login(client, therapist.user.username)
    assert first.status_code == 202
    body = first.json()
    assert set(body) == {"challenge", "expiry"}
    assert not AuthToken.objects.filter(user=therapist.user).exists()
    # The challenge opens nothing by itself.
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['challenge']}")
    assert client.get("/api/v1/caseload/").status_code == 401
    client.credentials()

    done = second_step(client, body["challenge"], factories.code_for(device))
    assert done.status_code == 200
    token = done.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/caseload/").status_code == 200
    passed = LogEntry.objects.get(additional_data__account="second_step_passed")
    assert (passed.object_pk, passed.actor_id) == (str(therapist.user.pk), therapist.user.pk)
    assert passed.additional_data["method"] == "authenticator"


def test_a_wrong_code_is_a_400_beside_the_field_and_the_challenge_stays_usable(
    therapist: Any, frozen_clock: Any
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = APIClient()
    challenge = login(client, therapist.user.username).json()["challenge"]
    wrong = second_step(client, challenge, str(int(factories.code_for(device)) + 1).zfill(6))
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_code"
    assert list(wrong.json()["fields"]) == ["code"]
    assert LogEntry.objects.filter(additional_data__account="second_step_failed").count() == 1
    frozen_clock.shift(2)  # django-otp's back-off: 1 s after one wrong code
    assert second_step(client, challenge, factories.code_for(device)).status_code == 200
    # Used once: a second token needs a new login.
    again = second_step(client, challenge, factories.code_for(device, steps_ahead=1))
    assert (again.status_code, again.json()["code"]) == (400, "invalid_challenge")


def test_a_forged_or_expired_challenge_is_refused(therapist: Any, frozen_clock: Any) -> None:
    device = factories.give_authenticator(therapist.user)
    client = APIClient()
    challenge = login(client, therapist.user.username).json()["challenge"]
    forged = second_step(client, challenge[:-2] + "xx", factories.code_for(device))
    assert forged.json()["code"] == "invalid_challenge"
    frozen_clock.shift(301)
    expired = second_step(client, challenge, factories.code_for(device))
    assert (expired.status_code, expired.json()["fields"]) == (
        400,
        {"challenge": ["This sign-in has expired or was already used; log in again."]},
    )


def test_wrong_codes_count_towards_the_lockout_with_wrong_passwords(
    therapist: Any, frozen_clock: Any
) -> None:
    device = factories.give_authenticator(therapist.user)
    client = APIClient()
    assert login(client, therapist.user.username, "wrong").status_code == 400
    challenge = login(client, therapist.user.username).json()["challenge"]
    answers = []
    for _ in range(4):
        frozen_clock.shift(60)  # past django-otp's back-off, and the per-minute throttle
        answers.append(second_step(client, challenge, "12345x").status_code)
        challenge = login(client, therapist.user.username).json().get("challenge", challenge)
    assert answers == [400, 400, 400, 429]  # 1 password + 4 codes: the fifth failure locks
    frozen_clock.shift(60)
    locked = second_step(client, challenge, factories.code_for(device))
    assert (locked.status_code, locked.json()["code"]) == (429, "locked_out")
    assert login(client, therapist.user.username).status_code == 429


def test_a_recovery_code_works_once_over_the_api(therapist: Any) -> None:
    factories.give_authenticator(therapist.user)
    factories.give_recovery_codes(therapist.user, ("abcd2345",))
    client = APIClient()
    challenge = login(client, therapist.user.username).json()["challenge"]
    assert second_step(client, challenge, "ABCD-2345").status_code == 200
    challenge = login(client, therapist.user.username).json()["challenge"]
    assert second_step(client, challenge, "abcd2345").json()["code"] == "invalid_code"


def test_a_therapist_without_an_app_is_told_to_set_it_up_on_the_website(therapist: Any) -> None:
    response = login(APIClient(), therapist.user.username)
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_set_up_required"
    assert not AuthToken.objects.filter(user=therapist.user).exists()


def test_a_patient_who_turned_it_on_logs_in_in_two_steps_too(patient: Any) -> None:
    factories.give_authenticator(patient.user)
    assert log_in_with_code(APIClient(), patient.user).json()["user"]["role"] == "patient"


def test_a_therapists_unverified_browser_session_does_not_open_the_api(therapist: Any) -> None:
    client = APIClient()
    client.force_login(therapist.user)  # a password alone (no second step)
    assert client.get("/api/v1/caseload/").status_code == 401
    assert (
        factories.sign_in(APIClient(), therapist.user).get("/api/v1/caseload/").status_code == 200
    )
