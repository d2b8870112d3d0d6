"""Is reminder delivery keeping up? `manage.py delivery_status [--max-lateness S]
[--max-email-lateness S] [--now ISO-8601]`, for a person or a monitoring check.

Prints the reminders due and not yet delivered (and how late the oldest is), the e-mail
copies owed (and how old the oldest is), and the reminders missed in the last day (fell
out of the 3-hour catch-up window: the workers or Redis were down). Exit status 0 keeping
up, 1 behind (a lateness above its limit, or a reminder missed), 2 bad input."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from patients.reminders.selectors import delivery_backlog
from rehab.cli import EXIT_BAD_INPUT, moment

EXIT_BEHIND = 1


def seconds(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise CommandError(
            f"{value!r} is not a number of seconds (a whole number, 0 or more).",
            returncode=EXIT_BAD_INPUT,
        )
    return number


class Command(BaseCommand):
    help = "Report whether reminders and their e-mails are going out on time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-lateness",
            default="120",
            help="Seconds the oldest due reminder may wait before this reports 'behind' "
            "(default 120: the peak's p99 target).",
        )
        parser.add_argument(
            "--max-email-lateness",
            default="900",
            help="Seconds the oldest owed e-mail may wait (default 900).",
        )
        parser.add_argument("--now", help="As at this moment, ISO-8601 with a UTC offset.")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = seconds(options["max_lateness"])
        email_limit = seconds(options["max_email_lateness"])
        now = moment(options["now"]) if options["now"] else timezone.now()
        backlog = delivery_backlog(now=now)
        late = backlog.reminder_lateness(now).total_seconds()
        email_late = backlog.email_lateness(now).total_seconds()
        self.stdout.write(
            f"reminders due, not yet delivered: {backlog.due} (oldest {late:.0f} s late)\n"
            f"e-mail copies owed: {backlog.emails_owed} (oldest {email_late:.0f} s)\n"
            f"reminders missed in the last day: {backlog.missed_last_day}"
        )
        problems = [
            f"reminders {late:.0f} s late (limit {limit})" if late > limit else "",
            f"e-mails {email_late:.0f} s late (limit {email_limit})"
            if email_late > email_limit
            else "",
            f"{backlog.missed_last_day} reminders missed" if backlog.missed_last_day else "",
        ]
        if any(problems):
            raise CommandError(
                "behind: " + "; ".join(p for p in problems if p), returncode=EXIT_BEHIND
            )
        self.stdout.write("keeping up")
