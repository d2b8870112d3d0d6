"""The admin site: clinic staff reach it only from a session that passed the second step of
signing in, and sign in through the same door as everyone else (rehab/two_factor.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class VerifiedAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # SecondStepMiddleware already signs such a session out; this holds even without it.
        verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and callable(verified) and bool(verified())

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The site's own sign-in page (password, then the code), not the admin's form,
        which would sign a person in on a password alone."""
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), login_url=reverse("login")
        )
