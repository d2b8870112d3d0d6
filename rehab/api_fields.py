"""Serializer fields the apps share: device times with their offset, local "HH:MM" times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A device clock before this is wrong, and zones then had second-level offsets (LMT) that
# ISO 8601 / RFC 3339 cannot write.
EARLIEST_DEVICE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


_DATETIME = serializers.DateTimeField()


def datetime_output(value: datetime | None) -> Any:
    """What a plain `DateTimeField` outputs (ISO 8601, UTC as "Z"), for outputs built by hand."""
    return None if value is None else _DATETIME.to_representation(value)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset in; out in the patient's zone (serializer context "zone")."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-11-03T08:15:00+00:00 or 2026-11-03T08:15:00Z.",
        "implausible": "Not a plausible device time (after 2000, at most a day ahead).",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well-formed but impossible, e.g. 12:99
                self.fail("invalid", format="ISO 8601 with a UTC offset")
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result: datetime = super().to_internal_value(value)
        if not EARLIEST_DEVICE_TIME <= result <= timezone.now() + timedelta(days=1):
            self.fail("implausible")
        return result

    def to_representation(self, value: datetime) -> Any:
        zone = self.context.get("zone")
        if zone is not None and value is not None:
            return value.astimezone(zone).isoformat()
        return super().to_representation(value)


# A wall-clock time "HH:MM", 00:00 to 23:59.
HOUR_MINUTE = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}


@extend_schema_field(HOUR_MINUTE)
class HourMinuteInputField(serializers.CharField):
    """A local time "HH:MM" in (the service parses and normalises it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=5, **kwargs)


@extend_schema_field(HOUR_MINUTE)
class HourMinuteField(serializers.Field):
    """A wall-clock time out as "HH:MM" (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value.strftime("%H:%M"))
