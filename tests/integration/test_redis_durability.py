"""The production Redis config (deploy/redis.conf) keeps queued Celery messages across a
restart; the same server with the append-only file off loses them (so the test can fail).

A separate redis-server is started for this on a free port (never 6379), in a temporary
directory, from deploy/redis.conf with only the port, address and data directory overridden on
the command line (the file's `dir` line is left out of the copy: /var/lib/redis need not exist
here). It is stopped with SHUTDOWN NOSAVE — or killed outright — so no RDB snapshot is written
on the way down: what survives is what the append-only file had already written, as after a
crash. (A plain SHUTDOWN would save a snapshot because of the `save` lines and hide the
difference.)"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from redis.backoff import NoBackoff
from redis.retry import Retry

# django_db only so that a run of this file alone gets a test database: the suite's session
# fixtures (tests/conftest.py) load the catalogue into one. These tests never touch it.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "redis.conf"
MESSAGES = 5


def needs_redis() -> str:
    """Like the other integration tests: skip on a laptop without REDIS_URL, fail in CI."""
    problem = None
    if not os.environ.get("REDIS_URL", "").startswith("redis"):
        problem = "needs REDIS_URL (Redis available on this machine)"
    binary = shutil.which("redis-server")
    if binary is None:
        problem = "needs the redis-server program"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI {problem}")
        pytest.skip(problem)
    assert binary is not None
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    assert port != 6379, "never the shared Redis"
    return port


class Server:
    """One redis-server process of our own, started and stopped by its Popen handle."""

    def __init__(self, binary: str, workdir: Path, *, appendonly: bool) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.conf = workdir / "redis.conf"
        # The deployment file, minus its data directory (given on the command line instead).
        lines = CONF.read_text().splitlines()
        self.conf.write_text("\n".join(x for x in lines if not x.startswith("dir ")) + "\n")
        self.args = [
            binary,
            str(self.conf),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(workdir),
            "--supervised", "no",
        ]  # fmt: skip
        if not appendonly:
            self.args += ["--appendonly", "no"]
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        # No retries: a refused connection (stopped server) is an answer here, not a blip.
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.client().ping():
                    self.assert_ours()
                    return
            except redis.ConnectionError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def assert_ours(self) -> None:
        """The server on our port is the process we started (never someone else's Redis)."""
        assert self.process is not None
        assert self.client().info("server")["process_id"] == self.process.pid

    def shutdown_nosave(self) -> None:
        self.assert_ours()
        self.client().shutdown(nosave=True)
        assert self.process is not None
        self.process.wait(timeout=15)

    def written_to_aof(self, timeout: float = 5.0) -> float:
        """Seconds until Redis has written everything to the append-only file. With
        `appendfsync everysec` a write can wait up to ~2 s behind a slow fsync; a crash inside
        that window loses it (the documented trade-off), so a crash test waits it out."""
        started = time.monotonic()
        while self.client().info("persistence")["aof_buffer_length"] != 0:
            assert time.monotonic() - started < timeout, "the AOF buffer never emptied"
            time.sleep(0.05)
        return time.monotonic() - started

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown handler runs at all
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def make_server(servers: list[Server], tmp_path: Path, name: str, *, appendonly: bool) -> Server:
    workdir = tmp_path / name
    workdir.mkdir()
    server = Server(needs_redis(), workdir, appendonly=appendonly)
    servers.append(server)
    server.start()
    return server


def publish(url: str, count: int) -> list[str]:
    """Queue `count` Celery messages as the web process does (nothing consumes them here)."""
    app = Celery("durability", broker=url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = False
    app.conf.task_serializer = "json"
    try:
        with app.connection_for_write() as conn:
            return [
                app.send_task("patients.tasks.reminder_sweep", args=[n], connection=conn).id
                for n in range(count)
            ]
    finally:
        app.close()


def queued(server: Server) -> list[str]:
    """Task ids of the Celery messages waiting in Redis (kombu's list for the `celery` queue)."""
    client = server.client()
    ids = []
    for raw in client.lrange("celery", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "patients.tasks.reminder_sweep"
        json.loads(base64.b64decode(message["body"]))  # a whole, readable body
        ids.append(message["headers"]["id"])
    return ids


@pytest.mark.parametrize("stop", ["shutdown-nosave", "killed"])
def test_queued_messages_survive_a_restart_with_the_production_config(
    servers: list[Server], tmp_path: Path, stop: str
) -> None:
    server = make_server(servers, tmp_path, "aof", appendonly=True)
    config = server.client().config_get("*")
    assert config["appendonly"] == "yes"
    assert config["appendfsync"] == "everysec"
    assert config["maxmemory-policy"] == "noeviction"

    sent = publish(server.url, MESSAGES)
    assert sorted(queued(server)) == sorted(sent)

    if stop == "killed":
        assert server.written_to_aof() < 3
        server.kill()
    else:
        server.shutdown_nosave()
    server.start()  # the same config, the same directory

    assert sorted(queued(server)) == sorted(sent)
    # kombu's routing table survives too (evicting or losing it stops delivery).
    assert server.client().smembers("_kombu.binding.celery")


def test_with_the_append_only_file_off_the_same_restart_loses_them(
    servers: list[Server], tmp_path: Path
) -> None:
    server = make_server(servers, tmp_path, "no-aof", appendonly=False)
    assert server.client().config_get("appendonly")["appendonly"] == "no"
    sent = publish(server.url, MESSAGES)
    assert sorted(queued(server)) == sorted(sent)

    server.shutdown_nosave()
    server.start()

    assert queued(server) == []
