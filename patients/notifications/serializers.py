"""The API's shapes for notifications and marking them read."""

from __future__ import annotations

from rest_framework import serializers

from patients.models import Notification
from rehab.api import InputSerializer


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "created_at", "read_at"]


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
