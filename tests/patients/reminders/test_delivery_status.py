"""`manage.py delivery_status`: what operations watch at the morning peak (issue 14)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Notification, Reminder
from patients.reminders.services import deliver_due_reminders, plan_reminders
from tests import factories

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)


def _status(*args: str) -> str:
    out = io.StringIO()
    call_command("delivery_status", *args, stdout=out)
    return out.getvalue()


def _behind(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        _status(*args)
    return raised.value


def _clinic() -> None:
    factories.prescribe(factories.PatientFactory(), started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))
    # Planned the evening before, as the planner does (tomorrow is planned a day ahead).
    Reminder.objects.update(created_at=AT_0805 - timedelta(hours=12))


def test_nothing_due_is_keeping_up() -> None:
    _clinic()
    assert deliver_due_reminders(now=AT_0805).sent == 3
    Notification.objects.update(emailed_at=AT_0805)
    out = _status("--now", AT_0805.isoformat())
    assert "reminders due, not yet delivered: 0" in out
    assert out.strip().endswith("keeping up")


def test_a_reminder_waiting_past_the_limit_is_reported_behind() -> None:
    _clinic()  # heat at 07:30, check-in and session at 08:00, none delivered
    assert "keeping up" in _status("--now", AT_0805.isoformat(), "--max-lateness", "2100")
    error = _behind("--now", AT_0805.isoformat())
    assert error.returncode == 1
    assert "reminders 2100 s late (limit 120)" in str(error)


def test_e_mails_owed_too_long_are_reported_behind() -> None:
    _clinic()
    deliver_due_reminders(now=AT_0805)
    Notification.objects.update(created_at=AT_0805 - timedelta(minutes=20))
    error = _behind("--now", AT_0805.isoformat())
    assert "e-mails 1200 s late (limit 900)" in str(error)
    assert "e-mail copies owed: 3" in _status(
        "--now", AT_0805.isoformat(), "--max-email-lateness", "1800"
    )


def test_a_reminder_that_fell_out_of_the_catch_up_window_is_missed() -> None:
    _clinic()
    later = AT_0805 + timedelta(hours=4)  # the workers were down all morning
    Reminder.objects.filter(due_at__gt=later).delete()
    error = _behind("--now", later.isoformat())
    assert "3 reminders missed" in str(error)


@pytest.mark.parametrize(
    "args",
    [
        ["--max-lateness", "soon"],
        ["--max-lateness", "-5"],
        ["--max-email-lateness", "1.5"],
        ["--now", "yesterday"],
        ["--now", "2026-11-05T08:05:00"],  # no UTC offset
    ],
)
def test_bad_input_is_exit_status_2_with_a_message(args: list[str]) -> None:
    error = _behind(*args)
    assert error.returncode == 2
    assert args[1] in str(error)
