from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A request the domain refuses, with a stable code and optional per-field messages.

    Views, the API and the CLI turn it into a form message, a 400 body or exit status 2."""

    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = {key: list(value) for key, value in (fields or {}).items()}


def validate_model(obj: Any, exclude: list[str] | None = None, *, unique: bool = True) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=unique)
    except ValidationError as error:
        raise DomainError(
            "Please correct the highlighted fields.", fields=error.message_dict
        ) from None
