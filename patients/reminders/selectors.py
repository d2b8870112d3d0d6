"""How reminder delivery is keeping up: what operations watch (manage.py delivery_status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q

from patients.models import Notification, Reminder
from patients.reminders.services import CATCH_UP, due_reminders


@dataclass(frozen=True)
class Backlog:
    """Reminders due and not yet delivered, e-mail copies owed, and reminders that were
    never delivered because they fell out of the catch-up window (an outage) in the last day."""

    due: int
    oldest_due_at: datetime | None
    emails_owed: int
    oldest_email_at: datetime | None
    missed_last_day: int

    def reminder_lateness(self, now: datetime) -> timedelta:
        return now - self.oldest_due_at if self.oldest_due_at else timedelta(0)

    def email_lateness(self, now: datetime) -> timedelta:
        return now - self.oldest_email_at if self.oldest_email_at else timedelta(0)


def delivery_backlog(*, now: datetime) -> Backlog:
    """Three indexed reads: the partial indexes of pending reminders and of e-mails owed."""
    due = due_reminders(now=now).aggregate(n=Count("pk"), oldest=Min("due_at"))
    owed = Notification.objects.filter(
        ~Q(email_to=""), emailed_at__isnull=True, created_at__gt=now - CATCH_UP
    ).aggregate(n=Count("pk"), oldest=Min("created_at"))
    missed = Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        due_at__gt=now - CATCH_UP - timedelta(days=1),
        due_at__lte=now - CATCH_UP,
        # Planned before it fell due: not a row for a day before the patient was planned
        # (the planner writes yesterday too, for the catch-up after midnight).
        created_at__lt=F("due_at"),
    ).count()
    return Backlog(
        due=due["n"],
        oldest_due_at=due["oldest"],
        emails_owed=owed["n"],
        oldest_email_at=owed["oldest"],
        missed_last_day=missed,
    )
