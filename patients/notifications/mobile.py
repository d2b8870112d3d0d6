"""Push to the clinic's mobile apps: Firebase Cloud Messaging's HTTP v1 API for Android and
the Apple Push Notification service (token auth, HTTP/2) for iOS. Each is off until it is
configured (docs/configuration.md); the devices are registered through the API (devices.py).

The message is the one web push sends (push.push_message): a title and the notification's
link, never a name, a condition, a pain score or a dose.

Sending is the MOBILE_PUSHES outbox, claimed like the e-mail and web-push ones: a batch claims
up to its size of owed copies, sends each to every app the patient registered, and marks each
copy sent once it has been tried on every device, so at most once per notification whatever
the services answer. A device whose token the service calls invalid (FCM: 404 UNREGISTERED,
400 INVALID_ARGUMENT on the token; APNs: 410 Unregistered, 400 BadDeviceToken) is deleted. A
service that answers "too many requests" or "unavailable" (429, 500, 503) is asked again for
those devices only, after its Retry-After or a doubling wait (1, 2, 4 s), at most
`REHAB_MOBILE_PUSH_ATTEMPTS` times and never when it asks for longer than
`REHAB_MOBILE_PUSH_MAX_WAIT`: the copy is marked before the retries, so a worker killed while
waiting loses those retries, never sends a copy twice. Any other failure is logged and that
device misses this one reminder."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from patients.models import Device
from patients.notifications.push import TTL_SECONDS, push_message
from patients.notifications.services import MOBILE_PUSHES, marks_without_waiting_for_disk

log = logging.getLogger(__name__)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# An APNs provider token is refused after an hour and must not be renewed more often than
# every 20 minutes: one is made per 40.
APNS_TOKEN_LIFETIME = 40 * 60
RETRYABLE = {429, 500, 503}


# --- Signing ------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(header: dict[str, Any], claims: dict[str, Any], key: Any) -> str:
    """A compact JWT (RFC 7519): RS256 with an RSA key (Google's service accounts), ES256
    with a P-256 key (Apple's .p8 keys; the signature as r‖s, RFC 7518 §3.4)."""
    head = b64url(json.dumps(header, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}".encode()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{head}.{body}.{b64url(signature)}"


# --- Configuration ------------------------------------------------------------------------


def fcm_enabled() -> bool:
    return bool(settings.REHAB_FCM_CREDENTIALS or settings.REHAB_FCM_CREDENTIALS_FILE)


def apns_enabled() -> bool:
    return bool(
        (settings.REHAB_APNS_KEY or settings.REHAB_APNS_KEY_FILE)
        and settings.REHAB_APNS_KEY_ID
        and settings.REHAB_APNS_TEAM_ID
        and settings.REHAB_APNS_TOPIC
    )


def enabled_platforms() -> set[str]:
    """The platforms the clinic can push to now (an empty set: mobile push is off)."""
    return {
        platform
        for platform, on in (
            (Device.Platform.FCM, fcm_enabled()),
            (Device.Platform.APNS, apns_enabled()),
        )
        if on
    }


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    key_id: str
    key: rsa.RSAPrivateKey
    token_uri: str
    project_id: str


@cache
def _service_account(text: str, path: str) -> ServiceAccount:
    try:
        raw = json.loads(text or Path(path).read_text())
        key = serialization.load_pem_private_key(raw["private_key"].encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("not an RSA key")
        return ServiceAccount(
            raw["client_email"], raw.get("private_key_id", ""), key, raw["token_uri"],
            raw.get("project_id", ""),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ImproperlyConfigured(
            "REHAB_FCM_CREDENTIALS / REHAB_FCM_CREDENTIALS_FILE must be a Firebase service "
            f"account's JSON key ({type(error).__name__}: {error})"
        ) from None


def service_account() -> ServiceAccount:
    return _service_account(settings.REHAB_FCM_CREDENTIALS, settings.REHAB_FCM_CREDENTIALS_FILE)


@cache
def _apns_key(text: str, path: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(
            (text or Path(path).read_text()).encode(), password=None
        )
    except (OSError, ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "REHAB_APNS_KEY / REHAB_APNS_KEY_FILE must be the .p8 key from Apple "
            f"({type(error).__name__})"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured("REHAB_APNS_KEY must be an EC (P-256) key: Apple's .p8")
    return key


# --- Credentials, cached across batches ---------------------------------------------------

_cache_lock = threading.Lock()
# (client e-mail, token URI) → (access token, expires at, time.time()).
_fcm_tokens: dict[tuple[str, str], tuple[str, float]] = {}
# (key id, team id) → (provider token, made at).
_apns_tokens: dict[tuple[str, str], tuple[str, float]] = {}


class Unavailable(Exception):
    """The OAuth token endpoint could not give an access token just now."""


def fcm_access_token(client: httpx.Client, account: ServiceAccount) -> str:
    """An OAuth 2.0 access token for FCM, from the service account (RFC 7523: a JWT signed
    with its key, exchanged at its token URI); kept until a minute before it expires."""
    key = (account.client_email, account.token_uri)
    with _cache_lock:
        cached = _fcm_tokens.get(key)
        now = time.time()
        if cached and cached[1] - 60 > now:
            return cached[0]
        claims = {
            "iss": account.client_email,
            "scope": FCM_SCOPE,
            "aud": account.token_uri,
            "iat": int(now),
            "exp": int(now) + 3600,
        }
        header = {"alg": "RS256", "typ": "JWT", "kid": account.key_id}
        try:
            response = client.post(
                account.token_uri,
                data={
                    "grant_type": JWT_BEARER,
                    "assertion": signed_jwt(header, claims, account.key),
                },
                timeout=settings.REHAB_PUSH_TIMEOUT,
            )
            body = response.json() if response.status_code == 200 else {}
            token, lifetime = body["access_token"], int(body.get("expires_in", 3600))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            log.warning("FCM access token: %s", type(error).__name__)
            raise Unavailable from None
        _fcm_tokens[key] = (token, now + lifetime)
        return str(token)


def forget_fcm_token(account: ServiceAccount) -> None:
    with _cache_lock:
        _fcm_tokens.pop((account.client_email, account.token_uri), None)


def apns_provider_token() -> str:
    """The ES256 JWT APNs wants in `authorization: bearer …` (key id, team id, issued at)."""
    key_id, team = settings.REHAB_APNS_KEY_ID, settings.REHAB_APNS_TEAM_ID
    with _cache_lock:
        cached = _apns_tokens.get((key_id, team))
        now = time.time()
        if cached and cached[1] + APNS_TOKEN_LIFETIME > now:
            return cached[0]
        key = _apns_key(settings.REHAB_APNS_KEY, settings.REHAB_APNS_KEY_FILE)
        token = signed_jwt({"alg": "ES256", "kid": key_id}, {"iss": team, "iat": int(now)}, key)
        _apns_tokens[(key_id, team)] = (token, now)
        return token


def forget_apns_token() -> None:
    with _cache_lock:
        _apns_tokens.pop((settings.REHAB_APNS_KEY_ID, settings.REHAB_APNS_TEAM_ID), None)


# --- Sending one message ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "gone" (the token is invalid), "retry", "failed"
    retry_after: float | None = None


SENT, GONE, FAILED = Outcome("sent"), Outcome("gone"), Outcome("failed")


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a number, or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class Sender(Protocol):
    def send(self, token: str, message: dict[str, str]) -> Outcome: ...


class Fcm:
    """POST /v1/projects/{project}/messages:send, one message per device token."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.account = service_account()
        self.url = (
            f"{settings.REHAB_FCM_URL.rstrip('/')}/v1/projects/"
            f"{settings.REHAB_FCM_PROJECT_ID or self.account.project_id}/messages:send"
        )

    def send(self, token: str, message: dict[str, str]) -> Outcome:
        body = {
            "message": {
                "token": token,
                "notification": {"title": message["title"]},
                "data": {"url": message["url"]},
                "android": {"ttl": f"{TTL_SECONDS}s", "priority": "high"},
            }
        }
        try:
            access = fcm_access_token(self.client, self.account)
            response = self.client.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {access}"},
                timeout=settings.REHAB_PUSH_TIMEOUT,
            )
        except Unavailable:
            return Outcome("retry")
        except httpx.HTTPError as error:
            log.warning("FCM push failed: %s", type(error).__name__)
            return FAILED
        return self.outcome(response)

    def outcome(self, response: httpx.Response) -> Outcome:
        if 200 <= response.status_code < 300:
            return SENT
        error = _json(response).get("error") or {}
        details = error.get("details") or []
        codes = {d.get("errorCode") for d in details if isinstance(d, dict)}
        fields = {
            violation.get("field")
            for d in details
            if isinstance(d, dict)
            for violation in d.get("fieldViolations") or []
            if isinstance(violation, dict)
        }
        status = response.status_code
        if status == 404 or "UNREGISTERED" in codes:
            return GONE
        if status == 400 and "INVALID_ARGUMENT" in codes | {error.get("status")}:
            about_token = "message.token" in fields or "registration token" in str(
                error.get("message", "")
            )
            if about_token:
                return GONE
        if status == 401:  # the access token expired early or was revoked: a new one
            forget_fcm_token(self.account)
            return Outcome("retry", 0)
        if status in RETRYABLE:
            return Outcome("retry", retry_after(response))
        log.warning("FCM push: HTTP %s %s", status, sorted(c for c in codes if c))
        return FAILED


class Apns:
    """POST /3/device/{token} over HTTP/2, with a provider token (ES256 JWT)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.base = settings.REHAB_APNS_URL.rstrip("/")
        # One request at a time on the connection. With several threads starting requests at
        # once, httpx's HTTP/2 connection put a stream's HEADERS on the wire after a higher
        # stream id's (seen in CI on a loaded machine: the server's h2 raised
        # StreamIDTooLowError and dropped the connection, failing every push in flight); a
        # real APNs answers that with GOAWAY (RFC 9113 §5.1.1). Correctness over multiplexing
        # until a client that orders its streams is measured.
        self.lock = threading.Lock()

    def send(self, token: str, message: dict[str, str]) -> Outcome:
        headers = {
            "authorization": f"bearer {apns_provider_token()}",
            "apns-topic": settings.REHAB_APNS_TOPIC,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(time.time()) + TTL_SECONDS),
        }
        body = {"aps": {"alert": {"title": message["title"]}, "sound": "default"}, **message}
        del body["title"]
        try:
            with self.lock:
                response = self.client.post(
                    f"{self.base}/3/device/{token}",
                    json=body,
                    headers=headers,
                    timeout=settings.REHAB_PUSH_TIMEOUT,
                )
        except httpx.HTTPError as error:
            log.warning("APNs push failed: %s", type(error).__name__)
            return FAILED
        return self.outcome(response)

    def outcome(self, response: httpx.Response) -> Outcome:
        status = response.status_code
        if status == 200:
            return SENT
        reason = _json(response).get("reason", "")
        if status == 410 or reason in {"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"}:
            return GONE
        if status == 403 and reason in {"ExpiredProviderToken", "InvalidProviderToken"}:
            forget_apns_token()
            return Outcome("retry", 0)
        if status in RETRYABLE:
            return Outcome("retry", retry_after(response))
        log.warning("APNs push: HTTP %s %s", status, reason)
        return FAILED


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@contextmanager
def senders(platforms: set[str]) -> Iterator[dict[str, Sender]]:
    """A sender per platform for one batch, each over one HTTP client (kept-alive
    connections; APNs' one HTTP/2 connection, one request at a time: see Apns)."""
    with ExitStack() as stack:
        made: dict[str, Sender] = {}
        if Device.Platform.FCM in platforms:
            made[Device.Platform.FCM] = Fcm(stack.enter_context(httpx.Client()))
        if Device.Platform.APNS in platforms:
            # HTTP/2 only, as APNs speaks it: negotiated by TLS ALPN on https://; on an
            # http:// address (a local test server) with prior knowledge (h2c).
            client = httpx.Client(http1=False, http2=True)
            made[Device.Platform.APNS] = Apns(stack.enter_context(client))
        yield made


# --- The outbox batch ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    pk: Any
    platform: str
    token: str


def send_mobile_batch(*, token: uuid.UUID, now: datetime, since: datetime) -> int:
    """Claim up to one batch of owed mobile pushes and send them; returns how many the
    services accepted (one per device reached). Requests go out from REHAB_PUSH_CONCURRENCY
    threads; the database is used from this thread only."""
    platforms = enabled_platforms()
    if not platforms:
        return 0
    claimed = MOBILE_PUSHES.claim_batch(token=token, now=now, since=since)
    batch = list(claimed.values_list("pk", "user_id", "kind"))
    if not batch:
        return 0
    devices: dict[Any, list[Target]] = defaultdict(list)
    rows = Device.objects.filter(
        patient__user_id__in={u for _, u, _ in batch}, platform__in=platforms
    ).values_list("pk", "patient__user_id", "platform", "token")
    for pk, user_id, platform, device_token in rows:
        devices[user_id].append(Target(pk, platform, device_token))
    gone: set[Any] = set()
    reached: set[Any] = set()
    accepted = 0
    with (
        senders(platforms) as by_platform,
        ThreadPoolExecutor(settings.REHAB_PUSH_CONCURRENCY) as pool,
        marks_without_waiting_for_disk(),
    ):

        def send(job: tuple[Target, dict[str, str]]) -> Outcome:
            target, message = job
            if target.pk in gone:
                return GONE
            outcome = by_platform[target.platform].send(target.token, message)
            if outcome.status == "gone":
                gone.add(target.pk)
            return outcome

        def push(note: tuple[Any, Any, str]) -> tuple[Any, list[tuple[Any, Outcome]]]:
            note_id, user_id, kind = note
            message = push_message(note_id, kind)
            return note_id, [
                ((target, message), send((target, message))) for target in devices[user_id]
            ]

        waiting: list[tuple[Any, Outcome]] = []
        for note_id, results in pool.map(push, batch):
            # Marked before any retry: a worker killed while waiting loses the retry, and
            # never sends a device the same reminder twice.
            MOBILE_PUSHES.mark_done(note_id, now)
            waiting += [(job, outcome) for job, outcome in results if outcome.status == "retry"]
            for (target, _), outcome in results:
                if outcome.status == "sent":
                    accepted += 1
                    reached.add(target.pk)
        for attempt in range(settings.REHAB_MOBILE_PUSH_ATTEMPTS):
            waiting = _due_again(waiting, attempt)
            if not waiting:
                break
            time.sleep(max(_wait(outcome, attempt) for _, outcome in waiting))
            jobs = [job for job, _ in waiting]
            outcomes = list(pool.map(send, jobs))
            waiting = [(j, o) for j, o in zip(jobs, outcomes, strict=True) if o.status == "retry"]
            for (target, _), outcome in zip(jobs, outcomes, strict=True):
                if outcome.status == "sent":
                    accepted += 1
                    reached.add(target.pk)
        if waiting:
            log.warning("mobile push: %s still throttled after every attempt", len(waiting))
    if gone:
        Device.objects.filter(pk__in=gone).delete()
    if reached - gone:
        Device.objects.filter(pk__in=reached - gone).update(last_pushed_at=now)
    return accepted


def _wait(outcome: Outcome, attempt: int) -> float:
    """Never sooner than the service asked; otherwise 1, 2, 4 … seconds."""
    return max(float(2**attempt), outcome.retry_after or 0.0)


def _due_again(waiting: list[Any], attempt: int) -> list[Any]:
    """The throttled sends worth retrying: not those whose service asked for a longer wait
    than we keep a batch for (that device misses this reminder rather than get it late)."""
    kept = [
        (job, o) for job, o in waiting if _wait(o, attempt) <= settings.REHAB_MOBILE_PUSH_MAX_WAIT
    ]
    if len(kept) < len(waiting):
        log.warning("mobile push: %s asked to wait too long; skipped", len(waiting) - len(kept))
    return kept
