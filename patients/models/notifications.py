"""In-app notifications (the bell), one per user and event."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rehab.models import PublicModel


class Notification(PublicModel):
    """An in-app message (shown on the web, listed by the API)."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", "Red flag"
        RED_FLAG_ESCALATION = "red_flag_escalation", "Red flag not acknowledged"
        FLAG_DIGEST = "flag_digest", "Flag digest"
        REMINDER_CHECK_IN = "reminder:check_in", "Check-in reminder"
        REMINDER_SESSION = "reminder:session", "Session reminder"
        REMINDER_ICE = "reminder:ice", "Ice reminder"
        REMINDER_HEAT = "reminder:heat", "Heat reminder"
        REMINDER_QUESTIONNAIRE = "reminder:questionnaire", "Questionnaire reminder"
        REMINDER_NUDGE = "reminder:nudge", "Nudge"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The flag it is about (a red flag, its escalation), so the bell can link to it and show
    # its current status; kept (as null) if the flag is ever deleted.
    flag = models.ForeignKey(
        "patients.Flag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The e-mail copy owed for this notification (an outbox): the address it goes to, when
    # the mail server accepted it, and the batch sending it (claimed like reminders).
    email_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_claim = models.UUIDField(null=True, blank=True)
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    # The web-push copy owed (a second outbox, claimed the same way): wanted when the user had
    # a push subscription as the notification was made; sent to each of their devices.
    # A database default too: rows written by code from before this field (a worker of the
    # previous release during a rolling deploy, raw SQL) are valid.
    push_wanted = models.BooleanField(default=False, db_default=False)
    pushed_at = models.DateTimeField(null=True, blank=True)
    push_claim = models.UUIDField(null=True, blank=True)
    push_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The outbox: only e-mails still owed are indexed, so the index stays small.
            models.Index(
                fields=["created_at"],
                name="notification_email_owed",
                condition=models.Q(emailed_at__isnull=True) & ~models.Q(email_to=""),
            ),
            models.Index(
                fields=["created_at"],
                name="notification_push_owed",
                condition=models.Q(pushed_at__isnull=True, push_wanted=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PushSubscription(PublicModel):
    """One browser's web-push subscription (a phone's home-screen app, a desktop browser): the
    push service's endpoint and the keys the browser made for encrypting to it (RFC 8291).
    Removed by the patient, by signing out of that browser's push, or when the push service
    says it is gone (404/410)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    device = models.CharField(max_length=100, blank=True, help_text="A name the patient knows.")
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.device or "Browser"
