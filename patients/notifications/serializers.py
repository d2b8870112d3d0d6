"""The API's shapes for notifications and marking them read."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import Flag, Notification
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
