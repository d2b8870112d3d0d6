from __future__ import annotations

import os
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models


class PublicModel(models.Model):
    """Abstract base for domain rows: a UUID primary key (safe to expose, and creatable
    offline by mobile clients) and creation/update timestamps in UTC."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def uuid7() -> uuid.UUID:
    """A UUID of version 7 (RFC 9562 5.7): the time in milliseconds since 1970 (48 bits),
    then 74 random bits. As hard to guess as a version 4 UUID, but it tells when its row was
    made (as the API's `created_at` already does), and it is ordered by that: rows keyed by
    it are written at the end of the primary key's index rather than at a random page of it,
    and the key finds the oldest rows (`uuid7_floor`). Python 3.14 has `uuid.uuid7`; this is
    its layout for 3.11."""
    random = int.from_bytes(os.urandom(10), "big")  # 80 bits, 6 of them replaced below
    value = (time.time_ns() // 1_000_000) << 80 | random
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC's variant
    return uuid.UUID(int=value)


def uuid7_floor(moment: datetime) -> uuid.UUID:
    """The smallest UUID of the millisecond `moment`: every `uuid7()` made before it is
    smaller, every one made from it on is not (PostgreSQL and SQLite order UUIDs as we do)."""
    return uuid.UUID(int=(int(moment.timestamp() * 1000) << 80))


class TimeOrderedModel(PublicModel):
    """A `PublicModel` of a table written at a rate (a row per reminder): its key is a
    `uuid7`, so inserts go to the end of the key's index, and old rows are a range of it
    (rehab/retention.py). Rows written before the key changed keep their random ids."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """The stored outcome of a POST sent with an `Idempotency-Key` header (rehab/api.py).

    One row per (user, key): a retry with the same key and body gets the stored status and
    body back instead of running again; the same key with another body or path is refused.
    Keys are honoured for IDEMPOTENCY_KEY_TTL (24 hours) after first use; older rows are
    ignored and replaced, and deleted by the hourly retention job (`prune_idempotency_keys`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the parsed JSON body.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
