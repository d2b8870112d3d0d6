"""Token login and logout for the apps (django-rest-knox: one hashed, expiring, revocable
token per device). The browser uses its session instead."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from knox.models import get_token_model  # type: ignore[import-untyped]
from knox.settings import knox_settings  # type: ignore[import-untyped]
from knox.views import LoginView, LogoutAllView, LogoutView  # type: ignore[import-untyped]
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from rehab.api import InputSerializer, error_body
from rehab.authentication import TokenAuthentication
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
        "`Authorization: Token <token>`; valid 30 days, extended on use). After 5 failures "
        "for one username from one address, that pair is locked out for 15 minutes (429 "
        "`locked_out`, even with the right password); at most 10 logins a minute per address "
        "(429 `throttled`).",
        tags=["auth"],
        request=LoginInput,
        responses={200: LoginOutput},
        examples=[
            OpenApiExample(
                "Log in",
                value={"username": "pat.achilles", "password": "…", "device_name": "Pixel 8"},
                request_only=True,
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
            raise exceptions.Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many failed logins for this account from here; try again later.",
                code="locked_out",
            )
        if user is None:
            return Response(
                error_body("invalid_credentials", "Wrong username or password."),
                status=status.HTTP_400_BAD_REQUEST,
            )
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
