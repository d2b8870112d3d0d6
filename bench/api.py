"""The API under gunicorn on 127.0.0.1, beside the framework floor, at 1/8/32/64 clients.

    python -m bench.api --database postgres://…/bench [--seconds 10] [--levels 1,8,32,64]

For each mobile hot path — today, post a session log, programme detail, a therapist's
caseload of 100 patients — the /api/v1/ endpoint and its floor view (bench/floor.py: the same
queries and JSON from a bare Django view) are loaded in turn, at each concurrency, in the same
run: throughput, p50/p95/p99 latency and errors, and the API ÷ floor ratio. Also measured
in-process: queries per request for each endpoint, and for the caseload at two list lengths
(it must not grow). An endpoint that is not in the URLconf is reported as
"skipped: endpoint missing" and the floor is still measured.

Each virtual client is a different generated patient (or therapist) with its own knox token.
Gunicorn: 2 gthread workers × 4 threads (the machine has 2 cores, shared with the load
generator, so the figures are a floor for what a real server does).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT, emit, setup_django
from bench.load import Factory, Request, run

HOST = "127.0.0.1"
ENDPOINTS = {
    "today": ("GET", "/api/v1/today/", "/bench/floor/today/", "patient"),
    "post_session": ("POST", "/api/v1/sessions/", "/bench/floor/sessions/", "patient"),
    "programme": ("GET", "/api/v1/programme/", "/bench/floor/programme/", "patient"),
    "caseload": (
        "GET",
        "/api/v1/caseload/?page_size=100",
        "/bench/floor/caseload/?page_size=100",
        "therapist",
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def exists(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


def tokens(clients: int) -> dict[str, list[dict[str, Any]]]:
    """Fresh knox tokens for `clients` patients and as many therapists (100 patients each),
    with what each patient logs today."""
    from django.apps import apps
    from django.utils import timezone

    AuthToken = apps.get_model("knox", "AuthToken")

    from patients.activity.selectors import today_for
    from patients.models import Patient, Therapist

    AuthToken.objects.filter(user__username__startswith="bench-").delete()
    now = timezone.now()
    patients = []
    for patient in (
        Patient.objects.filter(user__username__startswith="bench-p", programmes__status="active")
        .select_related("user")
        .order_by("user__username")[:clients]
    ):
        day = today_for(patient, now)
        first = day.sessions[0] if day.sessions else None
        patients.append(
            {
                "token": AuthToken.objects.create(patient.user)[1],
                "local_date": day.local_date.isoformat(),
                "slots": len(day.sessions) or 1,
                "items": [str(i.key) for i in (first.items if first else [])],
            }
        )
    full = [
        t
        for t in Therapist.objects.filter(user__username__startswith="bench-t")
        .select_related("user")
        .order_by("user__username")
        if t.patients.count() == 100
    ][:clients]
    therapists = [{"token": AuthToken.objects.create(t.user)[1]} for t in full]
    return {"patient": patients, "therapist": therapists}


def factory(method: str, path: str, people: list[dict[str, Any]]) -> Factory:
    def make(client: int, n: int) -> Request:
        who = people[client % len(people)]
        headers = {"Authorization": f"Token {who['token']}", "Accept": "application/json"}
        if method == "GET":
            return method, path, headers, b""
        body = {
            "client_uuid": str(uuid.uuid4()),
            "local_date": who["local_date"],
            "slot": 1 + n % who["slots"],
            "status": "done",
            "pain_after_nrs": 2,
            "exercises": [
                {"item_key": key, "sets_done": 3, "reps_done": 10, "pain_during_nrs": 2}
                for key in who["items"]
            ],
        }
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = body["client_uuid"]
        return method, path, headers, json.dumps(body).encode()

    return make


def queries(people: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Queries per request, in-process; the caseload at 100 and at 10 patients."""
    from django.apps import apps
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    AuthToken = apps.get_model("knox", "AuthToken")

    from patients.models import Patient, Therapist

    client = Client()

    def count(path: str, token: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")
        return len(captured), response.status_code

    result: dict[str, Any] = {}
    patient, therapist = people["patient"][0]["token"], people["therapist"][0]["token"]
    for name, (method, api, floor_path, role) in ENDPOINTS.items():
        if method != "GET":
            continue
        token = patient if role == "patient" else therapist
        result[name] = {
            "api": count(api, token)[0] if exists(api) else None,
            "floor": count(floor_path, token)[0],
        }

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            small = Therapist.objects.filter(user__username__startswith="bench-t").last()
            assert small is not None
            moved = list(Patient.objects.exclude(therapist=small).values_list("pk", flat=True)[:10])
            other = Therapist.objects.create(user=_user("bench-t-small"))
            Patient.objects.filter(pk__in=moved).update(therapist=other)
            token = AuthToken.objects.create(other.user)[1]
            result["caseload_10_patients"] = {
                "api": count(ENDPOINTS["caseload"][1], token)[0]
                if exists(ENDPOINTS["caseload"][1])
                else None,
                "floor": count(ENDPOINTS["caseload"][2], token)[0],
            }
            raise Rollback
    except Rollback:
        pass
    return result


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create(username=username)


def same_json(port: int, people: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Does each floor answer exactly what its API endpoint answers?"""
    import urllib.request

    out: dict[str, Any] = {}
    for name, (method, api, floor_path, role) in ENDPOINTS.items():
        if method != "GET" or not exists(api):
            continue
        token = people[role][0]["token"]
        bodies = []
        for path in (api, floor_path):
            request = urllib.request.Request(
                f"http://{HOST}:{port}{path}", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                bodies.append(json.loads(response.read()))
        out[name] = bodies[0] == bodies[1]
        if not out[name]:
            out[f"{name}_difference"] = _difference(bodies[0], bodies[1])
    return out


def _difference(api: Any, floor: Any, where: str = "") -> str:
    if isinstance(api, dict) and isinstance(floor, dict):
        if set(api) != set(floor):
            only_api, only_floor = sorted(set(api) - set(floor)), sorted(set(floor) - set(api))
            return f"{where or '/'}: keys only in api {only_api}, only in floor {only_floor}"
        for key in api:
            if api[key] != floor[key]:
                return _difference(api[key], floor[key], f"{where}/{key}")
    if isinstance(api, list) and isinstance(floor, list) and api and floor:
        if len(api) != len(floor):
            return f"{where}: {len(api)} vs {len(floor)} entries"
        for n, (a, b) in enumerate(zip(api, floor, strict=True)):
            if a != b:
                return _difference(a, b, f"{where}/{n}")
    return f"{where}: api {json.dumps(api)[:120]} vs floor {json.dumps(floor)[:120]}"


def start_gunicorn(database: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "REHAB_LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # tasks (e.g. a red-flag check-in) go to the memory broker
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "rehab.wsgi:application",
            # Not the repository's gunicorn.conf.py (production): every option is given here.
            "--config",
            str(ROOT / "bench" / "gunicorn_conf.py"),
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--backlog",
            "256",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    started = time.monotonic()
    while time.monotonic() - started < 60:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {log}") from None
            time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    raise SystemExit("gunicorn did not start within a minute")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="API vs framework floor under load")
    parser.add_argument("--database", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--log", default=str(ROOT / "var" / "bench-gunicorn.log"))
    args = parser.parse_args(argv)
    setup_django(args.database)
    levels = [int(n) for n in args.levels.split(",")]
    people = tokens(max(levels))
    result: dict[str, Any] = {
        "server": "gunicorn 2 gthread workers x 4 threads, 127.0.0.1, DEBUG off",
        "seconds_per_run": args.seconds,
        "levels": levels,
        "patients": len(people["patient"]),
        "therapists_with_100_patients": len(people["therapist"]),
        "missing": [name for name, e in ENDPOINTS.items() if not exists(e[1])],
        "queries_per_request": queries(people),
        "endpoints": {},
    }
    port = free_port()
    server = start_gunicorn(args.database, port, Path(args.log))
    try:
        result["same_json"] = same_json(port, people)
        for name, (method, api, floor_path, role) in ENDPOINTS.items():
            if not people[role]:
                result["endpoints"][name] = "skipped: no such clients in the data"
                continue
            rows = []
            for clients in levels:
                row: dict[str, Any] = {"clients": clients}
                floor = run(
                    host=HOST,
                    port=port,
                    make=factory(method, floor_path, people[role]),
                    clients=clients,
                    seconds=args.seconds,
                    warmup=args.warmup,
                )
                row["floor"] = floor
                if exists(api):
                    measured = run(
                        host=HOST,
                        port=port,
                        make=factory(method, api, people[role]),
                        clients=clients,
                        seconds=args.seconds,
                        warmup=args.warmup,
                    )
                    row["api"] = measured
                    if measured["p95_ms"] and floor["p95_ms"]:
                        row["p95_ratio"] = round(measured["p95_ms"] / floor["p95_ms"], 2)
                    if floor["throughput_rps"]:
                        row["throughput_ratio"] = round(
                            measured["throughput_rps"] / floor["throughput_rps"], 2
                        )
                else:
                    row["api"] = "skipped: endpoint missing"
                rows.append(row)
            result["endpoints"][name] = rows
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    emit(result)


if __name__ == "__main__":
    main()
