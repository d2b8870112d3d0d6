from __future__ import annotations

import uuid

from django.db import models


class PublicModel(models.Model):
    """Abstract base for domain rows: a UUID primary key (safe to expose, and creatable
    offline by mobile clients) and creation/update timestamps in UTC."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
