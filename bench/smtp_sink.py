"""A real SMTP server on loopback that accepts every message and writes one line per message
to a log: the time it was accepted, its Message-ID and its recipients. The reminder delivery
benchmark and the worker-kill test send to it through Django's SMTP backend, as production
sends to the clinic's mail server.

    python -m bench.smtp_sink --port 8025 --log /tmp/mail.log     (until SIGTERM)
"""

from __future__ import annotations

import argparse
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
    def __init__(self, log: TextIO) -> None:
        self.log = log
        self.headers = BytesHeaderParser()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = self.headers.parsebytes(envelope.original_content).get("Message-ID", "")
        self.log.write(f"{time.time():.6f}\t{message_id}\t{','.join(envelope.rcpt_tos)}\n")
        self.log.flush()  # a line per accepted message, even if this process is killed
        return "250 OK"


def read_log(path: Path) -> list[tuple[float, str, str]]:
    """(accepted at, Message-ID, recipients) for each message the sink accepted."""
    rows = []
    for line in path.read_text().splitlines():
        at, message_id, recipients = line.split("\t")
        rows.append((float(at), message_id, recipients))
    return rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start this server in its own process on a free loopback port, logging to `log`;
    returns the process (terminate it when done) and the port, once it accepts connections."""
    port = free_port()
    log.touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", "--port", str(port), "--log", str(log)],
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
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with args.log.open("a") as log:
        controller = Controller(Sink(log), hostname="127.0.0.1", port=args.port)
        controller.start()
        try:
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
