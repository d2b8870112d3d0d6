"""Token login and logout for the apps (django-rest-knox: one hashed, expiring, revocable
token per device). The browser uses its session instead.

An account with two-step sign-in (every therapist and staff member, patients who chose it;
rehab/two_factor.py) logs in in two calls: the password gets a short-lived challenge (202),
and the challenge with a code from the app (or a recovery code) gets the token."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from knox.models import get_token_model  # type: ignore[import-untyped]
from knox.settings import knox_settings  # type: ignore[import-untyped]
from knox.views import LoginView, LogoutAllView, LogoutView  # type: ignore[import-untyped]
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from rehab import two_factor
from rehab.api import ErrorOutput, InputSerializer, error_body
from rehab.authentication import TokenAuthentication
from rehab.exceptions import DomainError
from rehab.throttling import AddressRateThrottle

logger = logging.getLogger(__name__)


class LoginInput(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    device_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Shown in the audit log."
    )


class UserOutput(serializers.Serializer):
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.ChoiceField(["patient", "therapist", "other"])


class LoginOutput(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')
    expiry = serializers.DateTimeField(help_text="Extended on use (30 days from last use).")
    user = UserOutput()


class SecondStepOutput(serializers.Serializer):
    challenge = serializers.CharField(
        help_text="Send it with a code to /auth/login/code/. Not a token: it opens nothing "
        "else, works once and expires after 5 minutes."
    )
    expiry = serializers.DateTimeField(help_text="When the challenge stops working.")


class LoginCodeInput(InputSerializer):
    challenge = serializers.CharField(max_length=1000, help_text="From the login's 202 answer.")
    code = serializers.CharField(
        max_length=20,
        help_text="The 6-digit code the authenticator app shows now, or one of the account's "
        "recovery codes (each works once).",
    )
    device_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Shown in the audit log."
    )


def locked_out() -> exceptions.Throttled:
    return exceptions.Throttled(
        wait=settings.AXES_COOLOFF_TIME.total_seconds(),
        detail="Too many failed logins for this account from here; try again later.",
        code="locked_out",
    )


SET_UP_ON_THE_WEB = (
    "This account needs two-step sign-in, which is not set up yet: sign in on the website "
    "once to set up an authenticator app, then log in here."
)


def role_of(user: Any) -> str:
    if getattr(user, "therapist", None) is not None:
        return "therapist"
    if getattr(user, "patient", None) is not None:
        return "patient"
    return "other"


class LoginApi(LoginView):
    """POST username + password → a new device token. Goes through django-axes like the web
    login: after 5 failures for one username from one address, that pair is locked out for
    15 minutes (429 `locked_out`, even with the right password)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Per client address, shared with the web's sign-in (rehab/throttling.py).
    throttle_scope = "login"
    throttle_classes = [AddressRateThrottle]

    @extend_schema(
        summary="Log in: get a token for this device",
        description="Username and password in, a token for this device out (send it as "
        "`Authorization: Token <token>`; valid 30 days, extended on use).\n\n"
        "**Two-step sign-in.** Therapists and staff always, and patients who turned it on, "
        "get no token here: the answer is 202 with a `challenge` (valid 5 minutes, once). "
        "Ask the person for the code their authenticator app shows (or a recovery code) and "
        "send both to `POST /auth/login/code/`, which answers with the token. A therapist "
        "who has not set up an app yet gets 403 `two_factor_set_up_required` (set up on the "
        "website first).\n\n"
        "After 5 failures (wrong passwords or codes) for one username from one address, that "
        "pair is locked out for 15 minutes (429 `locked_out`, even with the right password); "
        "at most 10 logins a minute per address, codes included (429 `throttled`).",
        tags=["auth"],
        request=LoginInput,
        responses={
            200: LoginOutput,
            202: OpenApiResponse(
                SecondStepOutput,
                description="Password right; this account needs a code: send the challenge "
                "and a code to /auth/login/code/.",
            ),
            403: OpenApiResponse(
                ErrorOutput,
                description="`two_factor_set_up_required`: the account needs two-step "
                "sign-in and has no authenticator app yet; set it up on the website.",
                examples=[
                    OpenApiExample(
                        "two_factor_set_up_required",
                        value=error_body("two_factor_set_up_required", SET_UP_ON_THE_WEB),
                        status_codes=["403"],
                        response_only=True,
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Log in",
                value={"username": "pat.achilles", "password": "…", "device_name": "Pixel 8"},
                request_only=True,
            ),
            OpenApiExample(
                "Second step needed",
                value={"challenge": "eyJ1Ijo…", "expiry": "2026-11-20T09:05:00Z"},
                status_codes=["202"],
                response_only=True,
            ),
            OpenApiExample(
                "Token",
                value={
                    "token": "9f3c…64 hex…",
                    "expiry": "2026-12-21T09:00:00Z",
                    "user": {
                        "username": "pat.achilles",
                        "first_name": "Pat",
                        "last_name": "Achilles",
                        "role": "patient",
                    },
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, format: Any = None) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            # Answer in the API's JSON here; left set, AxesMiddleware would swap this response
            # for the web's HTML lockout page.
            request._request.axes_locked_out = False  # type: ignore[attr-defined]
            raise locked_out()
        if user is None:
            return Response(
                error_body("invalid_credentials", "Wrong username or password."),
                status=status.HTTP_400_BAD_REQUEST,
            )
        if two_factor.needs_second_step(user):
            if not two_factor.has_two_factor(user):
                return Response(
                    error_body("two_factor_set_up_required", SET_UP_ON_THE_WEB),
                    status=status.HTTP_403_FORBIDDEN,
                )
            challenge = two_factor.issue_challenge(user, now=timezone.now())
            output = {"challenge": challenge.value, "expiry": challenge.expiry}
            return Response(SecondStepOutput(output).data, status=status.HTTP_202_ACCEPTED)
        return self.token_response(request, user)

    def token_response(self, request: Request, user: Any) -> Response:
        """A new device token for `user`, who has proved who they are."""
        request.user = user
        self._make_room_for_a_token(user)
        instance, token = self.create_token()
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        # Ids only: the device name is the patient's own text (often their name).
        logger.info("API login user=%s token=%s", user.pk, instance.token_key)
        output = {
            "token": token,
            "expiry": instance.expiry,
            "user": {
                "username": user.get_username(),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "role": role_of(user),
            },
        }
        return Response(LoginOutput(output).data)

    def _make_room_for_a_token(self, user: Any) -> None:
        """At the per-user limit (REST_KNOX TOKEN_LIMIT_PER_USER), revoke the token used least
        recently rather than refuse: a patient who reinstalled the app many times could not
        otherwise log in (nor log out everywhere, which needs a token)."""
        tokens = get_token_model().objects.filter(user=user, expiry__gt=timezone.now())
        surplus = tokens.count() - knox_settings.TOKEN_LIMIT_PER_USER + 1
        if surplus > 0:
            oldest = list(tokens.order_by("expiry").values_list("pk", flat=True)[:surplus])
            get_token_model().objects.filter(pk__in=oldest).delete()


class LoginCodeApi(LoginApi):
    """The second call of a two-step login: the challenge and a code → a device token."""

    @extend_schema(
        summary="Log in, second step: the code from the authenticator app",
        description="The `challenge` from the login's 202 and the code the person's "
        "authenticator app shows now (6 digits), or one of their recovery codes (each works "
        "once). Right: a token for this device, as the login gives. Wrong code: 400 "
        "`invalid_code` (the challenge stays valid: ask again); a challenge expired, used or "
        "forged: 400 `invalid_challenge` (log in again). Wrong codes count with wrong "
        "passwords towards the lockout (429 `locked_out`) and the 10-a-minute limit per "
        "address (429 `throttled`).",
        tags=["auth"],
        request=LoginCodeInput,
        responses={200: LoginOutput},
        examples=[
            OpenApiExample(
                "Code",
                value={"challenge": "eyJ1Ijo…", "code": "492039", "device_name": "Pixel 8"},
                request_only=True,
            ),
            OpenApiExample(
                "Wrong code",
                value=error_body(
                    "invalid_code", two_factor.WRONG_CODE, {"code": [two_factor.WRONG_CODE]}
                ),
                status_codes=["400"],
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, format: Any = None) -> Response:
        data = LoginCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, nonce = two_factor.read_challenge(data.validated_data["challenge"])
        try:
            two_factor.check_code(
                request=request._request, user=user, code=data.validated_data["code"]
            )
        except two_factor.LockedOut:
            request._request.axes_locked_out = False  # type: ignore[attr-defined]
            raise locked_out() from None
        if not two_factor.spend_challenge(nonce):
            raise DomainError(
                two_factor.INVALID_CHALLENGE,
                code="invalid_challenge",
                fields={"challenge": [two_factor.INVALID_CHALLENGE]},
            )
        return self.token_response(request, user)


class LogoutApi(LogoutView):
    authentication_classes = (TokenAuthentication,)  # knox's own, without the token check

    @extend_schema(
        summary="Log out this device (revoke the token used)",
        tags=["auth"],
        request=None,
        responses={204: None},
        examples=[OpenApiExample("No body", value=None, request_only=True)],
    )
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format)


class LogoutAllApi(LogoutAllView):
    authentication_classes = (TokenAuthentication,)

    @extend_schema(
        summary="Log out everywhere (revoke every token of this account)",
        tags=["auth"],
        request=None,
        responses={204: None},
        examples=[OpenApiExample("No body", value=None, request_only=True)],
    )
    def post(self, request: Request, format: Any = None) -> Response:
        return super().post(request, format)
