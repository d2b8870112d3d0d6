"""A small asyncio HTTP/1.1 load generator (standard library only), for 127.0.0.1.

Each virtual client holds one keep-alive connection and sends its next request as soon as the
previous answer is read (a closed loop), for a fixed time. Latency is measured per request,
from writing it to reading the whole body. No third-party client: on a 2-core machine the
load generator must cost as little CPU as possible, and this one does little more than
read bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# A request factory: client number, request number → (method, path, headers, body).
Request = tuple[str, str, dict[str, str], bytes]
Factory = Callable[[int, int], Request]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)


def encode(host: str, port: int, request: Request) -> bytes:
    method, path, headers, body = request
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, keep the connection open?, body)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed by the server")
    status = int(status_line.split()[1])
    length, chunked, close = None, False, status_line.startswith(b"HTTP/1.0")
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection":
            close = value == "close"
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
        close = True
    return status, not close, body


async def _client(
    host: str, port: int, number: int, make: Factory, stop_at: float, tally: Tally
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    sent = 0
    while time.perf_counter() < stop_at:
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            reader, writer = connection
            payload = encode(host, port, make(number, sent))
            sent += 1
            started = time.perf_counter()
            writer.write(payload)
            await writer.drain()
            status, keep, _ = await read_response(reader)
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if not keep:
                writer.close()
                connection = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            tally.errors += 1
            if len(tally.error_examples) < 3:
                tally.error_examples.append(repr(error))
            if connection is not None:
                connection[1].close()
            connection = None
            await asyncio.sleep(0.01)
    if connection is not None:
        connection[1].close()


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def run(
    *, host: str, port: int, make: Factory, clients: int, seconds: float, warmup: float = 1.0
) -> dict[str, Any]:
    """Closed-loop load with `clients` connections for `seconds` (after a warm-up)."""
    if host not in LOOPBACK:
        raise ValueError("load is only ever sent to the loopback interface")

    async def drive(duration: float) -> Tally:
        tally = Tally()
        stop_at = time.perf_counter() + duration
        await asyncio.gather(
            *(_client(host, port, n, make, stop_at, tally) for n in range(clients))
        )
        return tally

    if warmup:
        asyncio.run(drive(warmup))
    started = time.perf_counter()
    tally = asyncio.run(drive(seconds))
    elapsed = time.perf_counter() - started
    ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    failed = tally.errors + sum(n for status, n in tally.statuses.items() if status >= 300)
    ms = [v * 1000 for v in tally.latencies]
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(ms),
        "ok": ok,
        "errors": failed,
        "error_rate": round(failed / max(1, len(ms) + tally.errors), 4),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "error_examples": tally.error_examples,
        "throughput_rps": round(ok / elapsed, 1),
        "p50_ms": _round(percentile(ms, 0.50)),
        "p95_ms": _round(percentile(ms, 0.95)),
        "p99_ms": _round(percentile(ms, 0.99)),
    }


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
