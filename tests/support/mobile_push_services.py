"""Firebase Cloud Messaging and the Apple Push Notification service, played on loopback for
the mobile-push tests: real HTTP, each speaking its service's request shape and checking
what the real one checks.

- `FakeFcm` (HTTP/1.1): the OAuth token endpoint of a service account (RFC 7523: the JWT
  assertion's RS256 signature is verified with the account's public key, and its issuer,
  audience, scope and expiry), and `POST /v1/projects/{project}/messages:send` (the bearer
  must be a token it issued; the body must be a message to one token with a title and a link,
  nothing else).
- `FakeApns` (HTTP/2 with prior knowledge, h2c, through the `h2` library; the real service is
  HTTP/2 over TLS): `POST /3/device/{token}` with the ES256 provider token verified with the
  .p8 key's public half (key id, team id, age), and the apns-topic, apns-push-type and
  apns-priority headers.

Each token's answers are scripted (`answer(token, "throttled", "ok")`: one per request, the
last repeated): ok, unregistered / bad (the token is invalid), throttled, unavailable."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import h2.config
import h2.connection
import h2.events
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(token: str, public_key: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, claims) of a JWT whose signature holds for this key (RS256 for an RSA key,
    ES256 for a P-256 one), else None."""
    try:
        head, body, signature = token.split(".")
        header, claims = json.loads(unb64url(head)), json.loads(unb64url(body))
        signed = f"{head}.{body}".encode()
        raw = unb64url(signature)
        if isinstance(public_key, rsa.RSAPublicKey):
            if header.get("alg") != "RS256":
                return None
            public_key.verify(raw, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            if header.get("alg") != "ES256" or len(raw) != 64:
                return None
            der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
            public_key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return None
    return header, claims


@dataclass
class Received:
    token: str  # the device token
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.time)


class Script:
    """Each device token's answers, one per request, the last one repeated; "ok" if none."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()

    def answer(self, token: str, *answers: str) -> None:
        self.answers[token] = list(answers)

    def next_answer(self, token: str) -> str:
        with self.lock:
            queue = self.answers.get(token, ["ok"])
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def record(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def accepted(self, token: str | None = None) -> list[Received]:
        return [r for r in self.received if r.status == 200 and (token is None or r.token == token)]


# --- FCM ----------------------------------------------------------------------------------

FCM_ERRORS = {
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED", None),
    "bad": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token"),
    "throttled": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", None),
    "unavailable": (503, "UNAVAILABLE", "UNAVAILABLE", None),
}


class FakeFcm(Script):
    def __init__(self, project: str = "rehab-test") -> None:
        super().__init__()
        self.project = project
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.client_email = f"push@{project}.iam.gserviceaccount.com"
        self.issued: set[str] = set()
        self.token_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.retry_after = "1"

    def credentials(self) -> dict[str, str]:
        """A service account's JSON key, as the Firebase console downloads it."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": self.key_id,
            "private_key": pem.decode(),
            "client_email": self.client_email,
            "token_uri": f"{self.origin}/token",
        }

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        grant = form.get("grant_type", [""])[0]
        verified = verify_jwt(form.get("assertion", [""])[0], self.key.public_key())
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or verified is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        header, claims = verified
        now = time.time()
        if (
            header.get("kid") != self.key_id
            or claims.get("iss") != self.client_email
            or claims.get("aud") != f"{self.origin}/token"
            or claims.get("scope") != FCM_SCOPE
            or not claims.get("iat", 0) - 60 <= now < claims.get("exp", 0) <= now + 3660
        ):
            return 400, {"error": "invalid_grant", "error_description": "Bad claims."}
        access = f"ya29.{secrets.token_urlsafe(24)}"
        self.issued.add(access)
        return 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}

    def _send(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict]:
        if path != f"/v1/projects/{self.project}/messages:send":
            return 404, {"error": {"code": 404, "status": "NOT_FOUND"}}, {}
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self.issued:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}, {}
        try:
            message = json.loads(body)["message"]
            token = message["token"]
            shape_ok = (
                set(message) == {"token", "notification", "data", "android"}
                and set(message["notification"]) == {"title"}
                and set(message["data"]) == {"url"}
            )
        except (ValueError, KeyError, TypeError):
            shape_ok, token = False, ""
        if not shape_ok:
            error = {"code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid JSON payload"}
            return 400, {"error": error}, {}
        answer = self.next_answer(token)
        if answer == "ok":
            status, reply, extra = 200, {"name": f"projects/{self.project}/messages/1"}, {}
        else:
            status, grpc, code, violated = FCM_ERRORS[answer]
            details: list[dict[str, Any]] = [
                {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
            ]
            if violated:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {"field": violated, "description": "Invalid registration token"}
                        ],
                    }
                )
            reply = {"error": {"code": status, "status": grpc, "details": details}}
            extra = {"Retry-After": self.retry_after} if status in (429, 503) else {}
        self.record(Received(token, message, dict(headers), status))
        return status, reply, extra

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fcm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                extra: dict[str, str] = {}
                if self.path == "/token":
                    status, reply = fcm._token(parse_qs(body.decode()))
                else:
                    status, reply, extra = fcm._send(self.path, self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                for name, value in {**extra, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> FakeFcm:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- APNs ---------------------------------------------------------------------------------

APNS_ERRORS = {
    "unregistered": (410, "Unregistered"),
    "bad": (400, "BadDeviceToken"),
    "throttled": (429, "TooManyRequests"),
    "unavailable": (503, "ServiceUnavailable"),
}


class FakeApns(Script):
    def __init__(self, topic: str = "org.example.rehab") -> None:
        super().__init__()
        self.topic = topic
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.key_id = "ABC123DEFG"
        self.team_id = "DEF123GHIJ"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)  # so that stop() is seen between accepts
        self.origin = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.stopped = threading.Event()

    def p8(self) -> str:
        """The signing key as Apple's .p8 file holds it (PKCS#8 PEM)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def _respond(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        path = headers.get(":path", "")
        token = path.removeprefix("/3/device/")
        verified = verify_jwt(
            headers.get("authorization", "").removeprefix("bearer "), self.key.public_key()
        )
        if verified is None:
            return 403, {"reason": "InvalidProviderToken"}
        header, claims = verified
        if (
            header.get("kid") != self.key_id
            or claims.get("iss") != self.team_id
            or not time.time() - 3600 < claims.get("iat", 0) <= time.time() + 60
        ):
            return 403, {"reason": "InvalidProviderToken"}
        if headers.get(":method") != "POST" or not path.startswith("/3/device/"):
            return 405, {"reason": "MethodNotAllowed"}
        if headers.get("apns-topic") != self.topic:
            return 400, {"reason": "TopicDisallowed"}
        if headers.get("apns-push-type") != "alert" or headers.get("apns-priority") not in (
            "5",
            "10",
        ):
            return 400, {"reason": "InvalidPushType"}
        try:
            payload = json.loads(body)
            shape_ok = set(payload) == {"aps", "url"} and set(payload["aps"]["alert"]) == {"title"}
        except (ValueError, KeyError, TypeError):
            shape_ok = False
        if not shape_ok:
            return 400, {"reason": "PayloadEmpty"}
        answer = self.next_answer(token)
        status, reply = (200, {}) if answer == "ok" else (APNS_ERRORS[answer][0], {})
        if answer != "ok":
            reply = {"reason": APNS_ERRORS[answer][1]}
        self.record(Received(token, payload, headers, status))
        return status, reply

    def _serve(self, sock: socket.socket) -> None:
        connection = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        connection.initiate_connection()
        sock.sendall(connection.data_to_send())
        streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        with sock:
            while not self.stopped.is_set():
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = (dict(event.headers), bytearray())  # type: ignore[arg-type]
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id][1].extend(event.data)
                        connection.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        headers, body = streams.pop(event.stream_id)
                        status, reply = self._respond(headers, bytes(body))
                        data_out = json.dumps(reply).encode() if reply else b""
                        response = [(":status", str(status)), ("apns-id", secrets.token_hex(8))]
                        if data_out:
                            response.append(("content-type", "application/json"))
                        connection.send_headers(event.stream_id, response, end_stream=not data_out)
                        if data_out:
                            connection.send_data(event.stream_id, data_out, end_stream=True)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                sock.sendall(connection.data_to_send())

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def start(self) -> FakeApns:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        time.sleep(0.25)
        self.listener.close()


@contextmanager
def running(service: Any) -> Iterator[Any]:
    service.start()
    try:
        yield service
    finally:
        service.stop()
