"""The one way to tell someone something: an in-app notification for each user and, where
wanted, one e-mail to those with an address. Callers own the transaction, so a notification
and the state change that caused it commit together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.mail import send_mail

from patients.models import (
    Notification,
)


def notify(
    users: Sequence[Any],
    *,
    kind: str,
    title: str,
    body: str,
    email_body: str | None = None,
    email: bool = True,
) -> None:
    """`email_body` replaces `body` in the e-mail (e.g. with the sources a clinician reads);
    `email=False` keeps it in the app (a nudge, or a patient who turned e-mail off)."""
    for user in users:
        Notification.objects.create(user=user, kind=kind, title=title, body=body)
    recipients = [user.email for user in users if user.email] if email else []
    if recipients:
        send_mail(title, email_body if email_body is not None else body, None, recipients)


def mark_notifications_read(*, user: Any, ids: list[uuid.UUID] | None, now: datetime) -> int:
    """Mark the user's own notifications read (all unread when `ids` is None); returns how
    many changed. Another user's ids are ignored, never an error that confirms them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=now)
