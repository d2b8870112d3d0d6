"""Token login (knox through django-axes), logout of one device or all, 401s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories
from tests.factories import api_client_for

LOGIN = "/api/v1/auth/login/"


def login(client: APIClient, username: str, password: str = factories.PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


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
    assert login(APIClient(), therapist.user.username).json()["user"]["role"] == "therapist"


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
    assert login(client, therapist.user.username).status_code == 200
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
