"""Form helpers every app shares: domain errors shown beside their fields, and bounded
number fields read from rehab.limits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from rehab.exceptions import DomainError
from rehab.limits import Bounds


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the username's length actually checked. AuthenticationForm
    sets `max_length` after the field is built, so no validator enforces it: a longer name
    reached authenticate() and django-axes, whose username column holds 255 characters (a 500
    on PostgreSQL). Now it is a message beside the field and nothing is recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))  # type: ignore[attr-defined]


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a refused request on the form: each field's messages beside that field, the rest
    and the overall message at the top. The typed values stay (the form is still bound)."""
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if error.message not in form.non_field_errors():
        form.add_error(None, error.message)


def count_field(label: str, *, bounds: Bounds, initial: int | None = None) -> forms.IntegerField:
    message = bounds.message
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=bounds.minimum,
        max_value=bounds.maximum,
        initial=initial,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
