"""A push service on loopback for the web-push tests and the delivery benchmark: it plays
the browser maker's push service and the browser at once.

Each `Device` is a browser: its own P-256 key pair and 16-byte auth secret, as a browser
makes for `pushManager.subscribe()`, and an endpoint on this server. A POST to the endpoint is
checked as a push service checks it (RFC 8292: the `vapid t=…,k=…` Authorization header, its
ES256 signature, audience, expiry and subject; RFC 8030: TTL) and then decrypted as the
browser decrypts it (RFC 8291, aes128gcm, with the device's private key). What arrived is kept
as `Received`; a device can be told to answer 410 (gone), 404 or 500 instead of 201.

For the delivery benchmark it also runs as a process of its own, every endpoint
`/push/<name>` one device sharing one key pair, writing a line per push to a log (accepted at,
device, the decrypted link, whether the signature held):

    python -m bench.push_receiver --port 8030 --log /tmp/push.log --key <b64> --auth <b64>
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    name: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: __import__("os").urandom(16))
    answer: int = 201

    @property
    def p256dh(self) -> str:
        return b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class Received:
    device: str
    payload: dict[str, Any] | None  # None when it could not be decrypted
    ttl: str | None
    vapid: dict[str, Any] | None  # the verified JWT claims; None when the signature failed
    vapid_key: str
    at: float
    answer: int


class PushReceiver:
    def __init__(self, port: int = 0, shared: Device | None = None, log: Any = None) -> None:
        self.devices: dict[str, Device] = {}
        self.shared = shared  # every endpoint one device (the benchmark's many phones)
        self.log = log
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def device(self, name: str, answer: int = 201) -> Device:
        self.devices[name] = Device(name, answer=answer)
        return self.devices[name]

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def subscription(self, name: str) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in a browser subscribed here."""
        device = self.devices[name]
        return {
            "endpoint": self.endpoint(name),
            "keys": {"p256dh": device.p256dh, "auth": b64url(device.auth)},
        }

    def _receive(self, name: str, headers: Any, body: bytes) -> int:
        device = self.devices.get(name, self.shared)
        if device is None:
            return 404
        claims, key = verify_vapid(headers.get("Authorization", ""))
        try:
            plain = http_ece.decrypt(
                body, private_key=device.key, auth_secret=device.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception:
            payload = None
        answer = device.answer
        if claims is None or claims.get("aud") != self.origin or "TTL" not in headers:
            answer = 401 if answer < 300 else answer
        received = Received(name, payload, headers.get("TTL"), claims, key, time.time(), answer)
        with self.lock:
            if self.log is not None:
                url = (payload or {}).get("url", "")
                self.log.write(f"{received.at:.6f}\t{name}\t{url}\t{answer}\n")
                self.log.flush()
            else:
                self.received.append(received)
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.rsplit("/", 1)[-1]
                status = receiver._receive(name, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> PushReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify_vapid(header: str) -> tuple[dict[str, Any] | None, str]:
    """The claims of a valid `vapid t=<JWT>,k=<public key>` header (RFC 8292), or None: the
    JWT must be ES256, signed by the key given, unexpired, with a subject."""
    if not header.startswith("vapid "):
        return None, ""
    parts = dict(item.strip().split("=", 1) for item in header[6:].split(",") if "=" in item)
    token, key = parts.get("t", ""), parts.get("k", "")
    try:
        head, claims, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        if json.loads(unb64url(head)).get("alg") != "ES256":
            return None, key
        decoded: dict[str, Any] = json.loads(unb64url(claims))
    except (ValueError, InvalidSignature):
        return None, key
    if decoded.get("exp", 0) <= time.time() or not decoded.get("sub"):
        return None, key
    return decoded, key


@contextmanager
def running_receiver() -> Iterator[PushReceiver]:
    receiver = PushReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def read_log(path: Any) -> list[tuple[float, str, str, int]]:
    """(accepted at, device, link, status) for each push the receiver process got."""
    rows = []
    for line in open(path).read().splitlines():  # noqa: SIM115
        at, device, url, status = line.split("\t")
        rows.append((float(at), device, url, int(status)))
    return rows


def start_receiver_process(log: Any, device: Device) -> tuple[Any, str]:
    """This receiver in its own process on a free port, logging to `log`, every endpoint the
    given device; returns the process and its origin once it accepts connections."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from bench.smtp_sink import free_port

    port = free_port()
    raw = device.key.private_numbers().private_value.to_bytes(32, "big")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.push_receiver",
            "--port",
            str(port),
            "--log",
            str(log),
            "--key",
            b64url(raw),
            "--auth",
            b64url(device.auth),
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    for _ in range(300):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the push receiver did not start")


def main() -> None:
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="a push service that logs what it accepts")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--key", required=True, help="the devices' private key, base64url")
    parser.add_argument("--auth", required=True, help="the devices' auth secret, base64url")
    args = parser.parse_args()
    key = ec.derive_private_key(int.from_bytes(unb64url(args.key), "big"), ec.SECP256R1())
    with open(args.log, "a") as log:
        receiver = PushReceiver(args.port, Device("any", key, unb64url(args.auth)), log)
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=receiver.stop).start())
        receiver.server.serve_forever()


if __name__ == "__main__":
    main()
