"""The API's shapes for notifications, marking them read, and the mobile apps' devices."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import Device, Flag, Notification
from patients.notifications.devices import APP_VERSION_PATTERN, TOKEN_PATTERN
from patients.notifications.selectors import flag_status, notification_link
from rehab.api import InputSerializer


class NotificationOutput(serializers.ModelSerializer):
    link = serializers.SerializerMethodField(
        help_text="The web page this notification is about (a flag on its patient's page, the "
        "caseload, Today), as a path; null when there is none this user may open. Opening it "
        "does not mark the notification read: mark it read with mark-read."
    )
    flag_status = serializers.SerializerMethodField(
        help_text="The current status of the flag this notification is about; null when it "
        "is about no flag."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "created_at", "read_at", "link", "flag_status"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_link(self, obj: Notification) -> str | None:
        return notification_link(obj, self.context["request"].user)

    @extend_schema_field(serializers.ChoiceField(choices=Flag.Status.choices, allow_null=True))
    def get_flag_status(self, obj: Notification) -> Any:
        return flag_status(obj)


class MarkReadInput(InputSerializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_null=True,
        max_length=500,
        help_text="Omit (or null) to mark every unread notification read.",
    )


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many changed from unread to read.")


class DeviceInput(InputSerializer):
    platform = serializers.ChoiceField(
        choices=Device.Platform.choices,
        help_text="`fcm`: an Android app's Firebase Cloud Messaging registration token. "
        "`apns`: an iOS app's APNs device token (hexadecimal).",
    )
    token = serializers.RegexField(
        TOKEN_PATTERN,
        max_length=512,
        help_text="The push token the app got from its platform: 20 to 512 characters of "
        "letters, digits and `_:.-`; for `apns`, 64 to 200 hexadecimal digits (stored in "
        "lower case).",
    )
    app_version = serializers.RegexField(
        APP_VERSION_PATTERN,
        max_length=50,
        required=False,
        default="",
        allow_blank=True,
        help_text='The app\'s version, e.g. "2.3.1 (245)": printable ASCII, up to 50.',
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text='A name the patient knows the device by ("Pixel 8"), shown on the '
        "Reminders page.",
    )


class DeviceOutput(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = [
            "id",
            "platform",
            "name",
            "app_version",
            "created_at",
            "last_seen_at",
            "last_pushed_at",
        ]
        extra_kwargs = {
            "last_seen_at": {"help_text": "When the app last registered this token (UTC)."},
            "last_pushed_at": {"help_text": "When a push last reached it (UTC); null if never."},
        }


class LogoutInput(InputSerializer):
    device_id = serializers.UUIDField(
        required=False,
        help_text="Also remove this registered device (its id from POST /devices/), so it "
        "gets no more pushes.",
    )
    device_token = serializers.CharField(
        required=False,
        max_length=512,
        help_text="Or name the device by its push token.",
    )
