"""A patient's reminder preferences: stored tidy, refused beside the field when wrong."""

from __future__ import annotations

from typing import Any

import pytest

from patients.reminders.services import update_reminder_preferences
from rehab.exceptions import DomainError
from tests.factories import NOW

pytestmark = pytest.mark.django_db


def test_reminder_times_are_stored_sorted_and_unique(patient: Any) -> None:
    update_reminder_preferences(
        patient=patient, session_times=["18:30", "07:15", "7:15"], email_reminders=False, now=NOW
    )
    patient.refresh_from_db()
    assert patient.session_times == ["07:15", "18:30"]
    assert patient.email_reminders is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session_times": ["25:00"]}, "session_times"),
        ({"session_times": []}, "session_times"),
        ({"session_times": [f"0{n}:00" for n in range(7)]}, "session_times"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ],
)
def test_bad_preferences_are_refused_beside_the_field(
    patient: Any, changes: dict[str, Any], field: str
) -> None:
    before = (patient.session_times, patient.time_zone)
    with pytest.raises(DomainError) as error:
        update_reminder_preferences(patient=patient, **changes, now=NOW)
    assert field in error.value.fields
    patient.refresh_from_db()
    assert (patient.session_times, patient.time_zone) == before
