"""Project-level forms."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the username's length actually checked. AuthenticationForm
    sets `max_length` after the field is built, so no validator enforces it: a longer name
    reached authenticate() and django-axes, whose username column holds 255 characters (a 500
    on PostgreSQL). Now it is a message beside the field and nothing is recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))  # type: ignore[attr-defined]
