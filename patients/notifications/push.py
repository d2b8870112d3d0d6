"""Web push: the copy of a notification sent to each browser the user turned it on in.

The push message says only that something is waiting and where ("Time for your exercises",
a link); never a name, a condition, a pain score or a dose (a phone shows it on the lock
screen, and it passes through the browser maker's push service). It is encrypted to the
browser's own key (RFC 8291, aes128gcm) and signed with the clinic's VAPID key (RFC 8292).
Push is off until `REHAB_VAPID_PRIVATE_KEY` is set (`manage.py vapid_keys` makes one).

Sending is the PUSHES outbox: a batch claims up to PUSH_BATCH owed copies, sends each to the
user's subscriptions over one HTTP session, and marks each copy sent as soon as it has been
tried on every device: at most once per notification, whatever the devices answer. A
subscription the push service says is gone (404, 410) is deleted; any other failure is
logged and that device misses this one reminder (a late reminder is worth little, and
retrying could bring it twice). A worker killed mid-batch sends again, after the lease, the
copies it had in flight but not yet marked: at most `REHAB_PUSH_CONCURRENCY` of them."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPusher

from patients.models import Notification, PushSubscription
from patients.notifications.services import PUSHES, marks_without_waiting_for_disk
from rehab.exceptions import DomainError

log = logging.getLogger(__name__)

# What the phone shows: by kind, in words that say nothing about the patient's health.
PUSH_TITLES: dict[str, str] = {
    Notification.Kind.REMINDER_SESSION: "Time for your exercises",
    Notification.Kind.REMINDER_NUDGE: "Still time for today's exercises",
    Notification.Kind.REMINDER_CHECK_IN: "Time for your morning check-in",
    Notification.Kind.REMINDER_QUESTIONNAIRE: "Your weekly questions are ready",
    Notification.Kind.REMINDER_ICE: "A reminder from your programme",
    Notification.Kind.REMINDER_HEAT: "A reminder from your programme",
}
DEFAULT_TITLE = "You have a new message"
# A reminder older than this is not worth showing: the push service may drop it (RFC 8030).
TTL_SECONDS = 60 * 60
# A VAPID signature is good for up to 24 hours (RFC 8292); one is made per push service and
# batch, valid for 12.
VAPID_LIFETIME = 12 * 60 * 60
GONE = {404, 410}


def push_enabled() -> bool:
    return bool(settings.REHAB_VAPID_PRIVATE_KEY)


@cache
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_string(private_key=private_key)


def public_key() -> str:
    """The clinic's VAPID public key as the browser wants it (`applicationServerKey`):
    the uncompressed point, base64url without padding. Empty when push is off."""
    if not push_enabled():
        return ""
    point = _vapid(settings.REHAB_VAPID_PRIVATE_KEY).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def new_private_key() -> str:
    """A new VAPID private key, base64url of its 32 raw bytes (what the setting holds)."""
    vapid = Vapid02()
    vapid.generate_keys()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def push_message(note_id: Any, kind: str) -> dict[str, str]:
    """The message every push carries (web push and the mobile apps alike): a title and the
    notification's own link (which marks it read and leads to Today or wherever it belongs).
    Nothing else, ever: no name, condition, pain or dose."""
    return {"title": PUSH_TITLES.get(kind, DEFAULT_TITLE), "url": f"/notifications/{note_id}/"}


def payload(note_id: Any, kind: str) -> bytes:
    return json.dumps(push_message(note_id, kind)).encode()


def _b64url(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        return None


def _serves(service: str, scheme: str, netloc: str, host: str) -> bool:
    """Whether a `REHAB_PUSH_SERVICES` entry ("https://fcm.googleapis.com", or with a leading
    dot for subdomains: "https://.push.apple.com") covers this endpoint's scheme and host."""
    allowed_scheme, _, name = service.partition("://")
    if scheme != allowed_scheme or not host:
        return False
    return host.endswith(name) if name.startswith(".") else name in (netloc, host)


def subscription_problems(endpoint: Any, p256dh: Any, auth: Any) -> dict[str, list[str]]:
    """What is wrong with a subscription a browser sent, by field (empty when it is fine).

    The endpoint must be one of the push services the clinic allows
    (`REHAB_PUSH_SERVICES`, the browsers' own by default): the server POSTs to it, so an
    address of the patient's choosing would let them make it call any host."""
    problems: dict[str, list[str]] = {}
    parts = urlsplit(endpoint) if isinstance(endpoint, str) and len(endpoint) <= 1000 else None
    allowed = parts is not None and any(
        _serves(service, parts.scheme, parts.netloc, parts.hostname or "")
        for service in settings.REHAB_PUSH_SERVICES
    )
    if not allowed:
        problems["endpoint"] = ["This browser's push service is not one this clinic allows."]
    key = _b64url(p256dh)
    if key is None or len(key) != 65 or key[0] != 4:
        problems["p256dh"] = ["Not a browser push key (a P-256 point, base64url)."]
    secret = _b64url(auth)
    if secret is None or len(secret) != 16:
        problems["auth"] = ["Not a browser push secret (16 bytes, base64url)."]
    return problems


def subscribe(
    *, user: Any, endpoint: Any, p256dh: Any, auth: Any, device: str = ""
) -> PushSubscription:
    """Store (or refresh) a browser's subscription; an endpoint belongs to one user, so a
    browser shared by two people follows whoever subscribed last. Refused (DomainError, by
    field) when push is off or the subscription is not one we can use."""
    if not push_enabled():
        raise DomainError("Phone and browser notifications are not set up for this clinic.")
    problems = subscription_problems(endpoint, p256dh, auth)
    if problems:
        raise DomainError("This browser's subscription could not be used.", fields=problems)
    # Checked above: three strings of the right shape, whatever JSON they came in.
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=str(endpoint),
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "device": device[:100]},
    )
    return subscription


def unsubscribe(*, user: Any, pk: Any = None, endpoint: str | None = None) -> int:
    """Remove one of the user's own subscriptions, by id (the Reminders page) or endpoint
    (the browser turning it off); another user's is never touched. Returns how many went."""
    mine = PushSubscription.objects.filter(user=user)
    if pk is not None:
        mine = mine.filter(pk=pk)
    if endpoint is not None:
        mine = mine.filter(endpoint=endpoint)
    return mine.delete()[0] if pk is not None or endpoint is not None else 0


def wants_push(user_ids: set[Any]) -> set[Any]:
    """Which of these users chose web push and have a browser to push to (one query, for a
    delivery batch)."""
    if not push_enabled() or not user_ids:
        return set()
    return set(
        PushSubscription.objects.filter(user_id__in=user_ids, user__patient__push_reminders=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def send_push_batch(*, token: uuid.UUID, now: datetime, since: datetime) -> int:
    """Claim up to one batch of owed pushes and send them; returns how many devices the push
    services accepted.

    The HTTP requests go out from `REHAB_PUSH_CONCURRENCY` threads (each with its own
    keep-alive session; a push service answers in milliseconds to a second, and the requests
    wait on the network, not the processor); the database is used from this thread only,
    which marks each copy sent as its requests come back, in order."""
    if not push_enabled():
        return 0
    batch = list(
        PUSHES.claim_batch(token=token, now=now, since=since).values_list("pk", "user_id", "kind")
    )
    if not batch:
        return 0
    devices: dict[Any, list[PushSubscription]] = defaultdict(list)
    for subscription in PushSubscription.objects.filter(user_id__in={u for _, u, _ in batch}):
        devices[subscription.user_id].append(subscription)
    vapid = _vapid(settings.REHAB_VAPID_PRIVATE_KEY)
    claims = {"exp": int(time.time()) + VAPID_LIFETIME, "sub": settings.REHAB_VAPID_SUBJECT}
    signatures = {
        origin: vapid.sign({**claims, "aud": origin})
        for origin in {_origin(d) for found in devices.values() for d in found}
    }
    gone: set[Any] = set()  # devices found gone: not tried again in this batch
    local = threading.local()
    sessions: list[requests.Session] = []

    def push(note: tuple[Any, Any, str]) -> tuple[Any, list[tuple[Any, int | None]]]:
        note_id, user_id, kind = note
        if not hasattr(local, "session"):
            local.session = requests.Session()
            sessions.append(local.session)
        statuses = []
        for device in devices[user_id]:
            if device.pk not in gone:
                status = _send(
                    local.session, device, payload(note_id, kind), signatures[_origin(device)]
                )
                if status in GONE:
                    gone.add(device.pk)
                statuses.append((device.pk, status))
        return note_id, statuses

    accepted, reached = 0, set()
    try:
        with (
            ThreadPoolExecutor(settings.REHAB_PUSH_CONCURRENCY) as pool,
            marks_without_waiting_for_disk(),
        ):
            for note_id, statuses in pool.map(push, batch):
                for device_pk, status in statuses:
                    if status is not None and 200 <= status < 300:
                        accepted += 1
                        reached.add(device_pk)
                PUSHES.mark_done(note_id, now)
    finally:
        for session in sessions:
            session.close()
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
    if reached:
        PushSubscription.objects.filter(pk__in=reached).update(last_pushed_at=now)
    return accepted


def _origin(device: PushSubscription) -> str:
    return "{0.scheme}://{0.netloc}".format(urlsplit(device.endpoint))


def _send(
    session: requests.Session, device: PushSubscription, data: bytes, headers: dict[str, str]
) -> int | None:
    info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    try:
        response = WebPusher(info, requests_session=session).send(
            data,
            dict(headers, Urgency="normal"),
            ttl=TTL_SECONDS,
            timeout=settings.REHAB_PUSH_TIMEOUT,
        )
    except (requests.RequestException, ValueError) as error:
        # ValueError: keys the browser sent that do not decode (refused at subscribe too).
        log.warning("web push to subscription %s failed: %s", device.pk, type(error).__name__)
        return None
    if response.status_code >= 300 and response.status_code not in GONE:
        log.warning("web push to subscription %s: HTTP %s", device.pk, response.status_code)
    return int(response.status_code)
