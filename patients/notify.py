"""The one way to tell someone something: an in-app notification for each user and, where
wanted, one e-mail to those with an address. Callers own the transaction, so a notification
and the state change that caused it commit together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import send_mail

from patients.models import Notification


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
