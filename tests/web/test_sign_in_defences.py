"""What a clinic's security review asks of signing in (issue 18): a per-address limit on the
web's sign-in and password reset (shared with the API's), Argon2 password hashes, and no
caching of anything sent to a signed-in user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from rehab import settings as real_settings
from rehab.env import BASE_DIR
from tests import factories
from tests.factories import api_client_for, web_client_for

pytestmark = pytest.mark.django_db

LOGIN_RATE = 10  # REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"]: 10/min


def sign_in(client: Client, username: str, password: str, **headers: str) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, headers=headers
    )


# --- A limit per address --------------------------------------------------------------------


def test_the_web_sign_in_stops_an_address_that_tries_many_usernames(
    client: Client, patient: Any
) -> None:
    """30 usernames in 10 seconds all reached password checking (the issue's probe)."""
    for n in range(LOGIN_RATE):
        assert sign_in(client, f"guess{n}", "wrong").status_code == 200
    # The 11th, even with the right password for a real account: refused before checking it.
    refused = sign_in(client, patient.user.username, factories.PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Too many attempts from here" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not held up.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert sign_in(other, patient.user.username, factories.PASSWORD).status_code == 302


def test_a_made_up_forwarded_for_header_does_not_buy_more_tries(client: Client) -> None:
    """Without a configured proxy header, X-Forwarded-For is the client's to write."""
    for n in range(LOGIN_RATE):
        sign_in(client, f"guess{n}", "wrong", x_forwarded_for=f"203.0.113.{n}")
    assert sign_in(client, "guess", "wrong", x_forwarded_for="198.51.100.1").status_code == 429


def test_the_web_and_the_api_count_sign_ins_from_an_address_together(
    client: Client, patient: Any
) -> None:
    api = APIClient()
    for n in range(LOGIN_RATE // 2):
        sign_in(client, f"guess{n}", "wrong")
        api.post("/api/v1/auth/login/", {"username": f"guess{n}", "password": "wrong"})
    assert sign_in(client, patient.user.username, factories.PASSWORD).status_code == 429
    refused = api.post(
        "/api/v1/auth/login/", {"username": patient.user.username, "password": factories.PASSWORD}
    )
    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_the_admin_sign_in_counts_too(client: Client) -> None:
    for n in range(LOGIN_RATE):
        client.post(reverse("admin:login"), {"username": f"guess{n}", "password": "wrong"})
    refused = client.post(reverse("admin:login"), {"username": "admin", "password": "x"})
    assert refused.status_code == 429


def test_password_reset_requests_are_limited_per_address(client: Client, patient: Any) -> None:
    for _ in range(10):  # "password_reset": "10/hour"
        sent = client.post(reverse("password_reset"), {"email": patient.user.email})
        assert sent.status_code == 302
    refused = client.post(reverse("password_reset"), {"email": patient.user.email})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 60
    assert "password-reset requests" in refused.content.decode()
    assert len(mail.outbox) == 10
    # Looking at the forms is not limited.
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("login")).status_code == 200


# --- Argon2 -----------------------------------------------------------------------------------

# The real hashers (the suite's settings use a fast one).
REAL_HASHERS = real_settings.PASSWORD_HASHERS


def test_argon2_is_the_first_password_hasher() -> None:
    assert REAL_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=REAL_HASHERS):
        assert make_password("a long passphrase").startswith("argon2$argon2id$")


@pytest.mark.parametrize("door", ["web", "api"])
def test_an_old_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2(
    door: str, patient: Any
) -> None:
    user = patient.user
    with override_settings(PASSWORD_HASHERS=REAL_HASHERS):
        user.password = make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        if door == "web":
            assert sign_in(Client(), user.username, factories.PASSWORD).status_code == 302
        else:
            body = {"username": user.username, "password": factories.PASSWORD}
            assert APIClient().post("/api/v1/auth/login/", body).status_code == 200
        user.refresh_from_db()
        assert user.password.startswith("argon2$")
        assert user.check_password(factories.PASSWORD)


# --- Cache-Control ----------------------------------------------------------------------------


def test_pages_api_answers_and_exports_for_a_signed_in_user_are_never_stored(
    patient: Any, programme: Any
) -> None:
    web = web_client_for(patient.user)
    api = api_client_for(patient.user)
    responses = {
        "page": web.get(reverse("today")),
        "web export": web.get(reverse("my_data_zip")),
        "api": api.get("/api/v1/today/"),
        "api export": api.get("/api/v1/me/export/"),
        "api zip": api.get("/api/v1/me/export/csv/", HTTP_ACCEPT="application/zip"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert response["Cache-Control"] == "no-store, private", name


def test_static_files_keep_their_caching_for_a_signed_in_browser(patient: Any) -> None:
    # whitenoise answers before the user is read: the stylesheet is not health data.
    with override_settings(WHITENOISE_USE_FINDERS=True, STATIC_ROOT=BASE_DIR / "rehab/static"):
        css = web_client_for(patient.user).get("/static/css/rehab.css")
    assert css.status_code == 200
    assert "max-age" in css["Cache-Control"]
    assert "no-store" not in css["Cache-Control"]
