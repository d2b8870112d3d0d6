"""The API's shape for the patient's calendar link."""

from __future__ import annotations

from rest_framework import serializers


class CalendarLinkOutput(serializers.Serializer):
    on = serializers.BooleanField(help_text="Whether the patient's calendar link works.")
    created_at = serializers.DateTimeField(
        allow_null=True, help_text="When the current link was made (UTC)."
    )
    last_fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="When a calendar app last read it (UTC)."
    )
    https_url = serializers.URLField(
        allow_null=True,
        help_text="Only in the answer to POST: the secret is not stored, so it cannot be "
        "shown again. For Google Calendar's 'From URL', Outlook and most apps.",
    )
    webcal_url = serializers.CharField(
        allow_null=True,
        help_text="Only in the answer to POST: the same link as webcal://, which opens "
        "'subscribe' in the phone's own calendar.",
    )
