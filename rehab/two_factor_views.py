"""The web's sign-in pages for the second step (rehab/two_factor.py holds the rules): the code
page after a password, setting up an authenticator app, the recovery codes shown once, and
the account's two-step sign-in page."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from rehab import two_factor
from rehab.exceptions import DomainError
from rehab.forms import LoginForm

CODES_KEY = "rehab.two_factor.codes"
CODES_NEXT_KEY = "rehab.two_factor.codes_next"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        error_messages={"required": "Enter the code from your app, or a recovery code."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )


class SignInView(auth_views.LoginView):
    """Django's sign-in page; when the account needs the second step, the right password
    leads to the code page (or to setting up an app) instead of signing in."""

    form_class = LoginForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.needs_second_step(user):
            return super().form_valid(form)
        two_factor.begin_pending(self.request, user, next_url=self.get_success_url())
        if two_factor.has_two_factor(user):
            return redirect("two_factor_code")
        return redirect("two_factor_set_up")


@never_cache  # half-way signed in: not "signed in" for NoStoreForSignedInMiddleware
def code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    user = two_factor.pending_user(request)
    if user is None:
        return redirect("login")
    if not two_factor.has_two_factor(user):
        return redirect("two_factor_set_up")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.check_code(
                request=request, user=user, code=form.cleaned_data["code"]
            )
        except two_factor.LockedOut:
            two_factor.forget_pending(request)
            # django-axes shows its lockout page for this response (AxesMiddleware).
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = {"username": user.get_username()}  # type: ignore[attr-defined]
            return redirect("login")
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            return redirect(two_factor.complete_sign_in(request, user, device))
    return render(request, "two_factor/code.html", {"form": form, "pending": user})


@never_cache  # it shows the app's secret
def set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: at a therapist's first sign-in (half-way signed in), or
    a signed-in patient turning two-step sign-in on."""
    user = two_factor.pending_user(request)
    signing_in = user is not None
    if user is None:
        if not request.user.is_authenticated:
            return redirect("login")
        user = request.user
    device = two_factor.start_set_up(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_set_up(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            if signing_in:
                after = two_factor.complete_sign_in(request, user, device)
            else:
                otp_login(request, device)
                after = reverse("two_factor")
            return _show_codes(request, codes, after)
    context = {
        "form": form,
        "signing_in": signing_in,
        "required": two_factor.requires_two_factor(user),
        "qr": _qr_svg(device.config_url),
        "secret": two_factor.secret_text(device),
    }
    return render(request, "two_factor/set_up.html", context)


def _qr_svg(url: str) -> SafeString:
    """The otpauth:// address as an inline SVG QR code (no script, no style attribute: CSP)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="qr", title="QR code to scan with your app"
    )
    return mark_safe(svg)  # segno's own markup; the only text in it is the title above


def _show_codes(request: HttpRequest, codes: list[str], after: str) -> HttpResponse:
    """Keep new recovery codes in the session until the person has seen (and saved) them."""
    request.session[CODES_KEY] = codes
    request.session[CODES_NEXT_KEY] = after
    return redirect("two_factor_recovery_codes")


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown until the person says they saved them (then never again)."""
    codes = request.session.get(CODES_KEY)
    if not codes:
        return redirect("two_factor")
    if request.method == "POST":
        request.session.pop(CODES_KEY, None)
        return redirect(request.session.pop(CODES_NEXT_KEY, None) or reverse("home"))
    return render(request, "two_factor/recovery_codes.html", {"codes": codes})


@login_required
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    codes = request.session.get(CODES_KEY)
    if not codes:
        return redirect("two_factor")
    text = (
        f"Recovery codes for {request.user.get_username()} (Rehab planner)\n"
        "Each code works once, instead of a code from your app.\n\n" + "\n".join(codes) + "\n"
    )
    return HttpResponse(
        text,
        content_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rehab-recovery-codes.txt"'},
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in for the signed-in account: on or off, codes left, new codes; a
    patient can turn it on or (with a code) off."""
    user = request.user
    turn_off_form = CodeForm(request.POST or None) if request.method == "POST" else CodeForm()
    if request.method == "POST" and turn_off_form.is_valid():
        try:
            two_factor.check_code(
                request=request, user=user, code=turn_off_form.cleaned_data["code"]
            )
            two_factor.turn_off(user=user)
        except two_factor.LockedOut:
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = {"username": user.get_username()}  # type: ignore[attr-defined]
            return redirect("two_factor")
        except DomainError as error:
            turn_off_form.add_error("code", error.message)
        else:
            return redirect("two_factor")
    context: dict[str, Any] = {
        "on": two_factor.has_two_factor(user),
        "required": two_factor.requires_two_factor(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "form": turn_off_form,
    }
    return render(request, "two_factor/account.html", context)


@login_required
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user):
        return redirect("two_factor")
    codes = two_factor.regenerate_recovery_codes(user=request.user)
    return _show_codes(request, codes, reverse("two_factor"))
