"""Forms for the web pages. They check the shape of what was typed; the services decide.

Every form that records something carries a hidden `client_uuid`, made when the form is first
shown, so a double-submitted form is one record (the services are idempotent on it)."""

from __future__ import annotations

import uuid
from functools import cache
from importlib import resources
from typing import Any

from django import forms

from patients.models.people import known_time_zones

NRS_HELP = "0 = no pain, 10 = the worst pain you can imagine."


# The zones most of our patients live in, offered first (the rest follow by region). A list to
# help people pick, not a rule: every zone in zone.tab stays on offer.
COMMON_TIME_ZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Singapore",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def _tzdata_table(name: str) -> list[list[str]]:
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def canonical_time_zones() -> dict[str, str]:
    """zone.tab's zones, each with a label for people ("Buenos Aires, Argentina").

    zone.tab lists one zone for each region with its own clock since 1970, so the legacy
    aliases (Africa/Asmera, GB, US/Eastern …) are left out of the picker. They stay valid:
    a patient whose zone is one of them keeps it (`TimeZoneField`)."""
    countries = {row[0]: row[1] for row in _tzdata_table("iso3166.tab")}
    labels = {}
    for row in _tzdata_table("zone.tab"):
        code, name = row[0], row[2]
        if name in known_time_zones():
            place = name.split("/", 1)[1].replace("_", " ").replace("/", " – ")
            country = countries.get(code, code)
            labels[name] = place if place == country else f"{place}, {country}"
    return labels


@cache
def time_zone_choices() -> list[tuple[str, Any]]:
    """The picker's choices: the common zones first, then every region's zones by label, then
    UTC. Grouped, so a screen reader announces the region."""
    labels = canonical_time_zones()
    regions: dict[str, list[tuple[str, str]]] = {}
    for name, label in labels.items():
        regions.setdefault(name.split("/", 1)[0], []).append((name, label))
    common = [(name, labels[name]) for name in COMMON_TIME_ZONES if name in labels]

    def by_label(zone: tuple[str, str]) -> str:
        return zone[1]

    return [
        ("Common", common),
        *((region, sorted(zones, key=by_label)) for region, zones in sorted(regions.items())),
        ("Other", [("UTC", "UTC (coordinated universal time)")]),
    ]


class TimeZoneSelect(forms.Select):
    """The zone picker; a zone not on offer (a legacy alias set through the API) is shown
    first as the current one, so saving the form never moves the patient to another zone."""

    def optgroups(self, name: str, value: list[Any], attrs: dict[str, Any] | None = None) -> Any:
        offered = canonical_time_zones().keys() | {"UTC"}
        current = [v for v in value if v and v not in offered and v in known_time_zones()]
        if current:
            self.choices = [("Current", [(v, v.replace("_", " ")) for v in current]), *self.choices]
        return super().optgroups(name, value, attrs)


class TimeZoneField(forms.ChoiceField):
    """A patient's time zone: any installed IANA name is valid (as in the API and the model),
    but the picker offers the current ones only (`time_zone_choices`)."""

    widget = TimeZoneSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=time_zone_choices, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return value in known_time_zones()


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
