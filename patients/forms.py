"""Forms for the web pages. They check the shape of what was typed; the services decide.

Every form that records something carries a hidden `client_uuid`, made when the form is first
shown, so a double-submitted form is one record (the services are idempotent on it)."""

from __future__ import annotations

import uuid
import zoneinfo
from functools import cache
from typing import Any

from django import forms

NRS_HELP = "0 = no pain, 10 = the worst pain you can imagine."


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def nrs_field(
    label: str, *, required: bool = True, help_text: str = NRS_HELP
) -> forms.IntegerField:
    """A 0–10 pain rating (numeric rating scale) with a plain-words error message."""
    message = "Enter a whole number from 0 to 10."
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=10,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RecordForm(forms.Form):
    """A form whose submission must be stored once: its UUID is fixed when first shown."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)


# --- Therapist ------------------------------------------------------------------------------


# --- Patient --------------------------------------------------------------------------------
