"""When things fall due on a patient's own dates: pure functions, no ORM, no clock.

One definition each, read by Today (selectors.today_for), the reminders (reminders.py and
reminder_services.py) and the monitoring rules alike.
"""

from __future__ import annotations

from datetime import date, timedelta

WEEK = 7  # days: the one definition (monitoring windows, reminders, questionnaires)


def questionnaire_due_on(*, last_on: date | None, started_on: date) -> date:
    """The weekly questionnaire is due from the programme's first day until answered, then a
    week after each response."""
    return started_on if last_on is None else last_on + timedelta(days=WEEK)


def questionnaire_due(*, last_on: date | None, today: date) -> bool:
    """Whether the weekly questionnaire is due on the patient's `today`."""
    return last_on is None or (today - last_on).days >= WEEK
