"""What the management commands share: the exit status for bad input and how a moment given
on the command line is read."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError

# 0 done, 1 a check that found a problem, 2 bad input (the usage error's status, as argparse).
EXIT_BAD_INPUT = 2


def moment(value: str, option: str = "--now") -> datetime:
    """An ISO-8601 date and time with a UTC offset, or a CommandError with exit status 2."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{option} {value!r} is not an ISO-8601 date and time "
            "(e.g. 2026-11-20T08:00:00+00:00).",
            returncode=EXIT_BAD_INPUT,
        ) from None
    if parsed.tzinfo is None:
        raise CommandError(
            f"{option} {value!r} needs a UTC offset (e.g. +00:00 or Z): patients' days are "
            "counted in their own time zones.",
            returncode=EXIT_BAD_INPUT,
        )
    return parsed
