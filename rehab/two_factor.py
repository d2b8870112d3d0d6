"""Two-step sign-in: a password, then a code from an authenticator app (TOTP, RFC 6238) or one
of ten single-use recovery codes (django-otp's totp and static devices).

Who: required for therapists and clinic staff (they see many patients' records), a choice for
patients (`requires_two_factor`, `needs_second_step`).

One door, three ways in:
- **Web** (rehab/two_factor_views.py): after the password nobody is signed in yet. The session
  holds a *pending* sign-in (`begin_pending`: whose, checked when, their password hash's
  fingerprint) for 10 minutes; the code page, or the set-up page for a therapist without an
  app, finishes it (`complete_sign_in`: Django's login, then django-otp's). So no page, and no
  lockout reset (django-axes resets a username's failures at login), is reached on a password
  alone.
- **Admin**: its sign-in form redirects to the web's (rehab/admin_site.py), and the site
  admits verified sessions only.
- **API** (rehab/api_auth.py): the token login answers a therapist with a signed challenge
  (`issue_challenge`, 5 minutes, single use) instead of a token; the challenge and a code get
  the token.

A session that needs the second step and has not passed it (signed in some other way, or whose
app was reset since) is signed out by `SecondStepMiddleware`.

Wrong codes count as failed sign-ins for django-axes (5 for one username from one address:
paused 15 minutes, as for passwords), and code POSTs count against the per-address `login`
throttle (rehab/throttling.py). django-otp's per-device back-off also applies (settings).
Every event is in the audit trail (`rehab.audit.log_account_event`), by user id only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehab.audit import log_account_event
from rehab.exceptions import DomainError
from rehab.roles import role_of

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
PENDING_KEY = "rehab.two_factor.pending"
PENDING_MAX_AGE_S = 600
CHALLENGE_SALT = "rehab.two_factor.challenge"
CHALLENGE_MAX_AGE_S = 300

WRONG_CODE = "That code is not right. Check the time on your phone and try the newest code."


class LockedOut(DomainError):
    """Too many wrong passwords or codes for this username from this address (django-axes)."""

    code = "locked_out"


# --- Who needs it ---------------------------------------------------------------------------


def requires_two_factor(user: Any) -> bool:
    """Therapists and clinic staff must use it; patients may."""
    return role_of(user) in ("therapist", "staff") or bool(getattr(user, "is_superuser", False))


def authenticator(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def has_two_factor(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_step(user: Any) -> bool:
    return requires_two_factor(user) or has_two_factor(user)


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Setting up and changing ----------------------------------------------------------------


def start_set_up(user: Any) -> TOTPDevice:
    """The unconfirmed app being set up (a new secret the first time; the same one while the
    person scans it and types a code, so reloading the page does not change the QR code)."""
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed in: base32, in fours."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def confirm_set_up(*, user: Any, code: str) -> tuple[TOTPDevice, list[str]]:
    """The first code from the new app proves it was set up: the app replaces any earlier
    one, and a fresh set of recovery codes is made (returned to be shown once)."""
    device = authenticator(user, confirmed=False)
    if device is None:
        raise DomainError("Start again: the set-up page has expired.", code="no_set_up")
    if not device.verify_token(_normalise(code)):
        raise DomainError(WRONG_CODE, code="invalid_code", fields={"code": [WRONG_CODE]})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    log_account_event(user, what="two_factor_turned_on", change=True)
    return device, codes


@transaction.atomic
def regenerate_recovery_codes(*, user: Any) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    log_account_event(user, what="recovery_codes_regenerated", change=True)
    return codes


@transaction.atomic
def turn_off(*, user: Any, by: Any = None) -> None:
    """Remove the app and the recovery codes. A patient's own choice (after a code), or a
    clinic admin's reset for someone who lost their phone (`by`): a therapist then sets up
    an app again at their next sign-in."""
    if by is None and requires_two_factor(user):
        raise DomainError("Two-step sign-in is required for your account.", code="required")
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).delete()
    what = "two_factor_turned_off" if by is None else "two_factor_reset"
    log_account_event(user, what=what, change=True, actor=by)


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in tokens])
    return [f"{t[:4]}-{t[4:]}" for t in tokens]


# --- The second step ------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _device_for(user: Any, code: str) -> Device | None:
    """Six digits are the app's; anything else is tried as a recovery code (8 letters and
    digits), so one field takes both."""
    if code.isdigit() and len(code) == 6:
        return authenticator(user)
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def check_code(*, request: HttpRequest, user: Any, code: str) -> Device:
    """The second step: the device that accepted `code`. A wrong code is a failed sign-in
    for the lockout (DomainError `invalid_code`, or LockedOut when it was the last one
    allowed); a locked-out username and address is refused before the code is looked at."""
    from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]

    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise LockedOut("Too many failed sign-ins for this account from here; try again later.")
    normalised = _normalise(code)
    device = _device_for(user, normalised)
    allowed, detail = device.verify_is_allowed() if device is not None else (True, None)
    if not allowed:
        until = (detail or {}).get("locked_until") or timezone.now()
        wait_s = max(1, int((until - timezone.now()).total_seconds()) + 1)
        message = f"Too many wrong codes: wait {wait_s} seconds, then try the newest code."
        raise DomainError(message, code="invalid_code", fields={"code": [message]})
    accepted = device is not None and verify_token(user, device.persistent_id, normalised)
    method = "recovery_code" if isinstance(device, StaticDevice) else "authenticator"
    if not accepted:
        log_account_event(user, what="second_step_failed", method=method)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            raise LockedOut("Too many failed sign-ins for this account from here.")
        raise DomainError(WRONG_CODE, code="invalid_code", fields={"code": [WRONG_CODE]})
    details: dict[str, Any] = {"method": method}
    if method == "recovery_code":
        details["codes_left"] = recovery_codes_left(user)
    log_account_event(user, what="second_step_passed", actor=user, **details)
    return accepted


# --- The web's pending sign-in --------------------------------------------------------------


def begin_pending(request: HttpRequest, user: Any, *, next_url: str) -> None:
    """After the right password: remember whose sign-in this is, signed in as nobody (in a
    session with a new key, as a sign-in would give: a session id planted before it is no
    use half-way)."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "password": user.get_session_auth_hash(),
        "since": time.time(),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> Any | None:
    """The person half-way through signing in, or None (none, expired, or their password
    changed since)."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["since"] > PENDING_MAX_AGE_S:
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending["password"]:
        return None
    return user


def pending_next(request: HttpRequest) -> str:
    return str(request.session.get(PENDING_KEY, {}).get("next") or reverse("home"))


def forget_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def complete_sign_in(request: HttpRequest, user: Any, device: Device) -> str:
    """Sign the pending person in, verified by `device`; where they were going."""
    pending = request.session.pop(PENDING_KEY, None) or {}
    auth_login(
        request, user, backend=pending.get("backend") or request.session.get(BACKEND_SESSION_KEY)
    )
    otp_login(request, device)
    return str(pending.get("next") or reverse("home"))


class SecondStepMiddleware:
    """A session signed in by a password alone (Django's login called elsewhere, a session
    from before two-step sign-in, or an app reset by an admin since) whose account needs the
    second step is signed out: a page asks the person to sign in again; an API request goes
    on as anonymous (a token, if sent, is read by the API itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated and not user.is_verified() and needs_second_step(user):
            logout(request)
            if not request.path.startswith("/api/"):
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


# --- The API's challenge --------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    value: str
    expiry: datetime


def issue_challenge(user: Any, *, now: datetime) -> Challenge:
    """A signed, short-lived statement that `user` gave the right password just now: not a
    token (it opens nothing), only the way to the second step."""
    nonce = secrets.token_urlsafe(12)
    payload = {"u": user.pk, "p": user.get_session_auth_hash()[:16], "n": nonce}
    value = signing.dumps(payload, salt=CHALLENGE_SALT, compress=True)
    return Challenge(value=value, expiry=now + timedelta(seconds=CHALLENGE_MAX_AGE_S))


INVALID_CHALLENGE = "This sign-in has expired or was already used; log in again."


def read_challenge(value: str) -> tuple[Any, str]:
    """The user a challenge was issued to, and its nonce (DomainError when it is forged,
    expired, used, or their password changed since)."""
    error = DomainError(
        INVALID_CHALLENGE, code="invalid_challenge", fields={"challenge": [INVALID_CHALLENGE]}
    )
    try:
        payload = signing.loads(value, salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE_S)
    except signing.BadSignature:
        raise error from None
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or user.get_session_auth_hash()[:16] != payload.get("p"):
        raise error
    if cache.get(_used_key(payload["n"])):
        raise error
    return user, payload["n"]


def spend_challenge(nonce: str) -> bool:
    """Mark a challenge used; False if it already was (two requests raced)."""
    return bool(cache.add(_used_key(nonce), 1, timeout=CHALLENGE_MAX_AGE_S + 60))


def _used_key(nonce: str) -> str:
    return f"rehab:two-factor-challenge:{nonce}"
