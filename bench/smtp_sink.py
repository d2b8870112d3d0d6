"""A real SMTP server on loopback that accepts every message and writes one line per message
to a log: the time it was accepted, its Message-ID and its recipients. The reminder delivery
benchmark and the worker-kill test send to it through Django's SMTP backend, as production
sends to the clinic's mail server.

    python -m bench.smtp_sink --port 8025 --log /tmp/mail.log     (until SIGTERM)

`start_sink(…, server="postfix")` starts Postfix's `smtp-sink` instead (Debian package
`postfix`, /usr/sbin/smtp-sink): a C server several times faster than aiosmtpd on this machine,
for measuring what the workers can send rather than what a Python server can take. It appends
the messages it accepts in one second to one file in the log folder (`-D`), and a message
counts as accepted when its file was last written (never before it was); `read_log` reads
either kind. Both offer PIPELINING (RFC 2920), as the mail servers clinics run do.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, log: TextIO, pipelining: bool = True) -> None:
        self.log = log
        self.headers = BytesHeaderParser()
        self.pipelining = pipelining

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Offer PIPELINING (RFC 2920), as the mail servers clinics run do (aiosmtpd reads
        pipelined commands one by one but does not say so itself)."""
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = self.headers.parsebytes(envelope.original_content).get("Message-ID", "")
        self.log.write(f"{time.time():.6f}\t{message_id}\t{','.join(envelope.rcpt_tos)}\n")
        self.log.flush()  # a line per accepted message, even if this process is killed
        return "250 OK"


POSTFIX_SINK = Path("/usr/sbin/smtp-sink")


def read_log(path: Path) -> list[tuple[float, str, str]]:
    """(accepted at, Message-ID, recipients) for each message the sink accepted."""
    if path.is_dir():
        return [message for file in path.iterdir() if file.is_file() for message in _dumped(file)]
    rows = []
    for line in path.read_text().splitlines():
        at, message_id, recipients = line.split("\t")
        rows.append((float(at), message_id, recipients))
    return rows


def _dumped(file: Path) -> list[tuple[float, str, str]]:
    """The messages smtp-sink appended to one file in one second: each its envelope
    (X-Rcpt-Args) and headers, then the body. Each counts as accepted when the file was last
    written (within that second): exact for its last message, a little late for the others,
    so a lateness read from it is never less than the real one."""
    at = file.stat().st_mtime_ns / 1e9
    messages = []
    message_id, in_headers = "", False
    recipients: list[str] = []
    with file.open("rb") as lines:
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("X-Client-Addr:"):  # the first line smtp-sink writes of each
                if in_headers or recipients:
                    messages.append((at, message_id, ",".join(recipients)))
                message_id, recipients, in_headers = "", [], True
            elif not line:
                in_headers = False  # the end of the headers
            elif in_headers:
                name, _, value = line.partition(":")
                if name.lower() == "message-id":
                    message_id = value.strip()
                elif name == "X-Rcpt-Args":
                    recipients.append(value.strip().strip("<>"))
    if in_headers or recipients:
        messages.append((at, message_id, ",".join(recipients)))
    return messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(
    log: Path, server: str = "aiosmtpd", pipelining: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    """Start this server (or with server="postfix", Postfix's smtp-sink, `log` then a folder)
    in its own process on a free loopback port, logging to `log`; returns the process
    (terminate it when done) and the port, once it accepts connections. Both offer
    PIPELINING unless `pipelining` is False."""
    port = free_port()
    if server == "postfix":
        if not POSTFIX_SINK.exists():
            raise SystemExit(f"{POSTFIX_SINK} is missing: apt-get install postfix")
        log.mkdir(exist_ok=True)
        # -D: the messages accepted in one second appended to one file named by that second
        # (a file per message cost the kernel 0.44 ms a message on this machine, a third of
        # the two cores at 2,000 messages/s; one a second costs 0.06 ms); -m: as many
        # sessions at once as the workers open; backlog 256.
        command = [str(POSTFIX_SINK), "-m", "64", "-R", str(log), "-D", "%s"]
        if not pipelining:
            command.append("-p")
        if os.geteuid() == 0:
            command += ["-u", "root"]  # it drops root privileges to this user
        process = subprocess.Popen([*command, f"127.0.0.1:{port}", "256"])
    else:
        log.touch()
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", "--port", str(port), "--log", str(log)]
            + ([] if pipelining else ["--no-pipelining"]),
            cwd=Path(__file__).resolve().parents[1],
        )
    for _ in range(300):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the SMTP sink did not start")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="an SMTP server that logs what it accepts")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--no-pipelining", action="store_true", help="do not offer PIPELINING")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with args.log.open("a") as log:
        controller = Controller(
            Sink(log, not args.no_pipelining), hostname="127.0.0.1", port=args.port
        )
        controller.start()
        try:
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
