"""The time-zone picker: common zones first, no legacy aliases on offer, a patient's own
alias kept."""

from __future__ import annotations

import pytest

from patients.forms import COMMON_TIME_ZONES, time_zone_choices
from patients.reminders.forms import PreferencesForm


def offered(choices: list) -> list[str]:
    return [value for _group, options in choices for value, _label in options]


def test_the_common_zones_come_first_with_place_names() -> None:
    group, options = time_zone_choices()[0]
    assert group == "Common"
    assert [value for value, _ in options] == list(COMMON_TIME_ZONES)
    assert dict(options)["Europe/London"].startswith("London, ")
    assert dict(options)["America/New_York"] == "New York, United States"


def test_legacy_aliases_are_not_on_offer_but_every_region_is() -> None:
    values = offered(time_zone_choices())
    for alias in ("Africa/Asmera", "Africa/Timbuktu", "GB", "US/Eastern", "Europe/Belfast"):
        assert alias not in values
    assert {"Africa/Asmara", "America/Argentina/Buenos_Aires", "Pacific/Honolulu", "UTC"} <= set(
        values
    )
    assert len(set(values)) < 450  # about 600 names before, aliases included


@pytest.mark.parametrize("zone", ["GB", "Europe/Belfast"])
def test_a_patient_whose_zone_is_an_alias_keeps_it(zone: str) -> None:
    form = PreferencesForm(initial={"time_zone": zone, "session_times": "08:00"}, offered=set())
    html = str(form["time_zone"])
    assert f'<option value="{zone}" selected>' in html
    assert html.count(" selected") == 1
    form = PreferencesForm(data={"time_zone": zone, "session_times": "08:00"}, offered=set())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["time_zone"] == zone


def test_an_unknown_zone_is_refused_beside_the_field() -> None:
    form = PreferencesForm(
        data={"time_zone": "Mars/Olympus_Mons", "session_times": "08:00"}, offered=set()
    )
    assert not form.is_valid()
    assert "time_zone" in form.errors
