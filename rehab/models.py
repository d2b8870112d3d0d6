from __future__ import annotations

import uuid

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


class IdempotencyKey(models.Model):
    """The stored outcome of a POST sent with an `Idempotency-Key` header (rehab/api.py).

    One row per (user, key): a retry with the same key and body gets the stored status and
    body back instead of running again; the same key with another body or path is refused.
    Keys are honoured for IDEMPOTENCY_KEY_TTL (24 hours) after first use; older rows are
    ignored and replaced, and may be pruned (a periodic clean-up is left to do)."""

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
