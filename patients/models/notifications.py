"""In-app notifications (the bell), one per user and event."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rehab.models import PublicModel, TimeOrderedModel


class Notification(TimeOrderedModel):
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
    # its current status; kept (as null) if the flag is ever deleted. Indexed only where set
    # (`notification_flag`): nearly every notification is a reminder, with no flag.
    flag = models.ForeignKey(
        "patients.Flag",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
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
    # The mobile-app copy owed (a third outbox, claimed the same way): wanted when the patient
    # had a registered app (FCM or APNs) and mobile push on as the notification was made.
    mobile_wanted = models.BooleanField(default=False, db_default=False)
    mobile_pushed_at = models.DateTimeField(null=True, blank=True)
    mobile_claim = models.UUIDField(null=True, blank=True)
    mobile_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The notifications of a flag (set to null when it is deleted).
            models.Index(
                fields=["flag"], name="notification_flag", condition=models.Q(flag__isnull=False)
            ),
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
            models.Index(
                fields=["created_at"],
                name="notification_mobile_owed",
                condition=models.Q(mobile_pushed_at__isnull=True, mobile_wanted=True),
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


class Device(PublicModel):
    """A phone or tablet running one of the clinic's mobile apps, registered through the API
    with the token its push service gave it: Firebase Cloud Messaging (Android) or the Apple
    Push Notification service (iOS). A token belongs to one app install, so it is unique per
    service: registered by another patient (who signed in on that phone), it becomes theirs,
    as a new device. Removed by the patient, by "log out this device", or when the service
    says the token is no longer valid."""

    class Platform(models.TextChoices):
        FCM = "fcm", "Android (Firebase Cloud Messaging)"
        APNS = "apns", "iOS (Apple Push Notification service)"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="devices"
    )
    platform = models.CharField(max_length=8, choices=Platform.choices)
    token = models.CharField(max_length=512)
    name = models.CharField(max_length=100, blank=True, help_text="A name the patient knows.")
    app_version = models.CharField(max_length=50, blank=True)
    last_seen_at = models.DateTimeField(help_text="When the app last registered this token.")
    last_pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="device_token_unique")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_platform_display().split(' ')[0]} app"
