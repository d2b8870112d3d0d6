"""The mobile apps' devices: registering the push token an app got from Firebase Cloud
Messaging (Android) or the Apple Push Notification service (iOS), listing and removing them.
Sending to them is mobile.py."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from patients.models import Device, Patient
from rehab.exceptions import DomainError

# What a token may look like, for every platform (the API's documented pattern): FCM's are
# letters, digits and `_:-.` (about 160 characters today, not promised); APNs' are hex.
TOKEN_PATTERN = r"^[A-Za-z0-9_:.\-]{20,512}$"
# An APNs token is the device token's bytes in hex (32 bytes today, up to 100 promised). It
# goes into the request's path, so nothing else is allowed in it.
APNS_TOKEN = re.compile(r"[0-9a-f]{64,200}")
APP_VERSION_PATTERN = r"^[\x20-\x7e]{0,50}$"
# Devices a patient may have registered at once; a new one past this replaces the one seen
# least recently (an app reinstalled many times must still be able to register).
MAX_DEVICES = 10


def devices_of(patient: Patient) -> QuerySet[Device]:
    return Device.objects.filter(patient=patient)


@transaction.atomic
def register_device(
    *,
    patient: Patient,
    platform: str,
    token: str,
    app_version: str = "",
    name: str = "",
    now: datetime,
) -> tuple[Device, bool]:
    """Store the app's push token for this patient; returns the device and whether it is new.

    Idempotent on (platform, token): registering again (every app start may) updates the app
    version, name and last-seen time. A token another patient had registered (a shared phone:
    the pushes follow whoever is signed in) is taken from them and becomes a new device of
    this patient: nothing of theirs (its id, its name) is shown to this one."""
    if platform == Device.Platform.APNS:
        token = token.lower()
        if not APNS_TOKEN.fullmatch(token):
            raise DomainError(
                "Please correct the highlighted fields.",
                fields={"token": ["An APNs device token is 64 to 200 hexadecimal digits."]},
            )
    Device.objects.filter(platform=platform, token=token).exclude(patient=patient).delete()
    device, created = Device.objects.update_or_create(
        platform=platform,
        token=token,
        patient=patient,
        defaults={
            "app_version": app_version,
            "name": name,
            "last_seen_at": now,
        },
    )
    others = devices_of(patient).exclude(pk=device.pk).order_by("last_seen_at", "created_at")
    surplus = others.count() + 1 - MAX_DEVICES
    if surplus > 0:
        Device.objects.filter(pk__in=list(others.values_list("pk", flat=True)[:surplus])).delete()
    return device, created


def remove_devices(*, patient: Patient, pk: Any = None, token: str | None = None) -> int:
    """Remove one of the patient's own devices, by id or by push token; another patient's is
    never touched. Returns how many went (0 or 1)."""
    if pk is None and token is None:
        return 0
    mine = devices_of(patient)
    if pk is not None:
        mine = mine.filter(pk=pk)
    if token is not None:
        mine = mine.filter(token__in={token, token.lower()})
    return mine.delete()[0]


def wants_mobile_push(user_ids: set[Any], platforms: set[str]) -> set[Any]:
    """Which of these users chose mobile push and have an app registered on a platform the
    clinic sends to (one query, for a delivery batch)."""
    if not platforms or not user_ids:
        return set()
    return set(
        Device.objects.filter(
            patient__user_id__in=user_ids,
            patient__mobile_reminders=True,
            platform__in=platforms,
        )
        .values_list("patient__user_id", flat=True)
        .distinct()
    )
