"""Soak: 64 clients for 2 minutes against the real API, and zero errors.

    python -m bench.soak --database postgres://postgres@127.0.0.1:5432/bench_soak \
        [--patients 2000] [--clients 64] [--therapists 8] [--seconds 120] [--keep-data]

The app under gunicorn (bench/api.py's set-up: 2 gthread workers x 4 threads, DEBUG off,
127.0.0.1 only) on PostgreSQL, with a generated clinic (bench/generate.py) in a database of the
soak's own (`bench_soak`: dropped and regenerated unless --keep-data; never `test…`). The
monitoring sweep runs once first, so therapists have real open flags to read.

Clients (closed loop, no think time, one keep-alive connection each, the HTTP code of
bench/load.py):
- patient clients (all but `--therapists`): each is a phone in turn for its own share of the
  clinic's patients, each patient with its own knox token (made in the set-up). A visit is
  GET /today/, POST /check-ins/ (a fresh client_uuid: 201 for the first of the day, else 200,
  the day's check-in updated), POST /sessions/ (a fresh client_uuid: the patient's next session
  due today and not yet logged → 201; when all are logged, the day's first again → 200,
  updated), one in five 201s sent again unchanged (a retry after a lost answer → 200, the same
  row), and GET /sessions/;
- therapist clients: each a different therapist (100 patients), logged in through
  POST /auth/login/ with the generated password: GET /caseload/, GET /patients/{id}/ twice
  (their own patients), GET /flags/?status=open.

Zero errors means no transport error (connection refused or reset, 60 s without an answer),
no 5xx and no 4xx (the mix is well-formed, so a 4xx is a finding: each is listed with its body).
After the run the database is checked: session logs and check-ins added = 201s received, each
201's row stored once with the client_uuid sent, each retry answered with the first row, each
logged session holding the exercise entries sent. Also recorded: the gunicorn log's warnings
and errors, and what else the machine was doing (load average, CPU by process name).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.api import HOST, free_port, start_gunicorn
from bench.common import ROOT, emit, machine, run_json, setup_django
from bench.load import LOOPBACK, encode, percentile, read_response

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/bench_soak"
PASSWORD = "bench-password-2026"  # bench/generate.py's password for every bench user
REPLAY_SHARE = 0.2  # of the 201 session logs, sent a second time unchanged
TIMEOUT_S = 60.0  # no answer within this is a transport error
WINDOW_S = 10.0


@dataclass
class Call:
    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Answer:
    status: int  # 0: no answer (transport error)
    body: bytes = b""
    error: str = ""


Script = Generator[Call, Answer, None]


@dataclass
class Record:
    endpoint: str
    started: float  # seconds since the load started
    latency: float  # seconds, from writing the request to reading the whole answer
    status: int  # 0: transport error


@dataclass
class PatientPlan:
    username: str
    token: str
    local_date: str
    free: list[tuple[int, list[str]]]  # sessions due today and not logged: (slot, item keys)
    logged: tuple[int, list[str]] | None  # the first session already logged today
    has_check_in: bool

    def next_session(self) -> tuple[int, list[str], int] | None:
        """(slot, item keys, the status expected): the next free slot, else an update."""
        if self.free:
            slot, keys = self.free.pop(0)
            self.logged = self.logged or (slot, keys)
            return slot, keys, 201
        if self.logged:
            slot, keys = self.logged
            return slot, keys, 200
        return None


@dataclass
class TherapistPlan:
    username: str
    token: str
    patient_ids: list[str]
    app_key: str = ""  # their authenticator app's secret (hex): therapists log in in two steps


@dataclass
class Ledger:
    """What the clients sent and were answered, for the database check."""

    sessions: list[dict[str, Any]] = field(default_factory=list)
    replays: list[dict[str, Any]] = field(default_factory=list)
    check_ins: list[dict[str, Any]] = field(default_factory=list)
    client_errors: list[dict[str, Any]] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)

    def note(self, call: Call, answer: Answer) -> None:
        if answer.status == 0:
            if len(self.transport_errors) < 10:
                self.transport_errors.append(f"{call.endpoint}: {answer.error}")
        elif answer.status >= 400 and len(self.client_errors) < 50:
            self.client_errors.append(
                {
                    "endpoint": call.endpoint,
                    "path": call.path,
                    "status": answer.status,
                    "body": answer.body[:500].decode("utf-8", "replace"),
                }
            )


def _id(answer: Answer) -> str | None:
    if not 200 <= answer.status < 300:
        return None
    try:
        return str(json.loads(answer.body)["id"])
    except (ValueError, KeyError, TypeError):
        return None


def patient_script(plans: list[PatientPlan], rng: random.Random, ledger: Ledger) -> Script:
    """One phone after another, for each patient of `plans` in turn (then round again)."""
    while True:
        for plan in plans:
            auth = {"Authorization": f"Token {plan.token}", "Accept": "application/json"}
            post = {**auth, "Content-Type": "application/json"}
            yield Call("today", "GET", "/api/v1/today/", auth)

            check_in = {
                "client_uuid": str(uuid.uuid4()),
                "local_date": plan.local_date,
                "morning_pain_nrs": rng.randint(0, 6),
                "stiffness_minutes": rng.choice([0, 5, 10, 20, 30]),
                "red_flags": [],
            }
            call = Call("post_check_in", "POST", "/api/v1/check-ins/", post, _json(check_in))
            answer = yield call
            ledger.note(call, answer)
            ledger.check_ins.append(
                {
                    "client_uuid": check_in["client_uuid"],
                    "expected": 200 if plan.has_check_in else 201,
                    "status": answer.status,
                    "id": _id(answer),
                }
            )
            plan.has_check_in = plan.has_check_in or answer.status == 201

            due = plan.next_session()
            if due is not None:
                slot, keys, expected = due
                session = {
                    "client_uuid": str(uuid.uuid4()),
                    "local_date": plan.local_date,
                    "slot": slot,
                    "status": "done",
                    "pain_after_nrs": rng.randint(0, 5),
                    "exercises": [
                        {
                            "item_key": key,
                            "sets_done": rng.randint(2, 3),
                            "reps_done": rng.choice([8, 10, 12, 15]),
                            "pain_during_nrs": rng.randint(0, 5),
                        }
                        for key in keys
                    ],
                }
                body = _json(session)
                call = Call("post_session", "POST", "/api/v1/sessions/", post, body)
                answer = yield call
                ledger.note(call, answer)
                first_id = _id(answer)
                ledger.sessions.append(
                    {
                        "client_uuid": session["client_uuid"],
                        "expected": expected,
                        "status": answer.status,
                        "id": first_id,
                        "exercises": len(keys),
                    }
                )
                if answer.status == 201 and rng.random() < REPLAY_SHARE:
                    call = Call("post_session_retry", "POST", "/api/v1/sessions/", post, body)
                    again = yield call
                    ledger.note(call, again)
                    ledger.replays.append(
                        {"status": again.status, "id": _id(again), "first_id": first_id}
                    )

            yield Call("sessions", "GET", "/api/v1/sessions/", auth)


def therapist_script(plan: TherapistPlan, rng: random.Random, ledger: Ledger) -> Script:
    auth = {"Authorization": f"Token {plan.token}", "Accept": "application/json"}
    while True:
        for call in (
            Call("caseload", "GET", "/api/v1/caseload/", auth),
            Call(
                "patient_detail",
                "GET",
                f"/api/v1/patients/{rng.choice(plan.patient_ids)}/",
                auth,
            ),
            Call(
                "patient_detail",
                "GET",
                f"/api/v1/patients/{rng.choice(plan.patient_ids)}/",
                auth,
            ),
            Call("flags", "GET", "/api/v1/flags/?status=open", auth),
        ):
            answer = yield call
            ledger.note(call, answer)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


async def _client(
    port: int, script: Script, began: float, stop_at: float, records: list[Record]
) -> None:
    """Send the script's calls one after another on one keep-alive connection until stop_at
    (a request under way then is still answered, within TIMEOUT_S)."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    call = next(script)
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT_S)
                started = time.perf_counter()
            reader, writer = connection
            writer.write(encode(HOST, port, (call.method, call.path, call.headers, call.body)))
            await writer.drain()
            status, keep, body = await asyncio.wait_for(read_response(reader), TIMEOUT_S)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            # TimeoutError is an OSError
            records.append(Record(call.endpoint, started - began, time.perf_counter() - started, 0))
            if connection is not None:
                connection[1].close()
            connection = None
            answer = Answer(0, error=repr(error))
            await asyncio.sleep(0.01)
        else:
            records.append(
                Record(call.endpoint, started - began, time.perf_counter() - started, status)
            )
            if not keep:
                writer.close()
                connection = None
            answer = Answer(status, body)
        call = script.send(answer)
    if connection is not None:
        connection[1].close()


def drive(
    port: int, scripts: list[Script], seconds: float, sample: Callable[[], None]
) -> tuple[list[Record], float]:
    """Run the scripts for `seconds`, calling `sample` once a second meanwhile."""
    if HOST not in LOOPBACK:
        raise ValueError("load is only ever sent to the loopback interface")
    records: list[Record] = []

    async def sampler(stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            sample()
            await asyncio.sleep(1.0)

    async def main() -> float:
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(
            sampler(stop_at), *(_client(port, s, began, stop_at, records) for s in scripts)
        )
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    return records, elapsed


# Set-up -------------------------------------------------------------------------------------


def prepare(database: str, patients: int, *, fresh: bool) -> dict[str, Any] | str:
    """The soak's own database with a clinic of `patients` (generated in a child process), or
    why not ("skipped: PostgreSQL not reachable …")."""
    from bench.run import postgres_ready

    skip = postgres_ready(database, fresh=fresh)
    if skip:
        return skip
    return dict(
        run_json(
            ["bench.generate", "--patients", str(patients), "--database", database],
            timeout=1800,
        )
    )


def plans(patient_limit: int, therapists: int) -> tuple[list[PatientPlan], list[TherapistPlan]]:
    """Fresh knox tokens for every patient with an active programme, with what is due today
    in the patient's own zone; the therapists (with 100 patients) to log in."""
    from django.apps import apps
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from patients.activity.selectors import today_for
    from patients.models import Patient, Therapist

    AuthToken = apps.get_model("knox", "AuthToken")
    AuthToken.objects.filter(user__username__startswith="bench-").delete()
    now = timezone.now()
    patient_plans = []
    for patient in (
        Patient.objects.filter(user__username__startswith="bench-p", programmes__status="active")
        .select_related("user")
        .order_by("user__username")[:patient_limit]
    ):
        day = today_for(patient, now)
        due = [(s.slot, [str(i.key) for i in s.items]) for s in day.sessions]
        logged = [(s.slot, [str(i.key) for i in s.items]) for s in day.sessions if s.log]
        patient_plans.append(
            PatientPlan(
                username=patient.user.username,
                token=AuthToken.objects.create(patient.user)[1],
                local_date=day.local_date.isoformat(),
                free=[d for d, s in zip(due, day.sessions, strict=True) if s.log is None],
                logged=logged[0] if logged else None,
                has_check_in=day.check_in is not None,
            )
        )
    therapist_plans = []
    for therapist in (
        Therapist.objects.filter(user__username__startswith="bench-t")
        .select_related("user")
        .order_by("user__username")
    ):
        ids = [str(pk) for pk in therapist.patients.values_list("pk", flat=True)]
        if len(ids) == 100:
            app, _ = TOTPDevice.objects.get_or_create(
                user=therapist.user, confirmed=True, defaults={"name": "Authenticator app"}
            )
            therapist_plans.append(TherapistPlan(therapist.user.username, "", ids, app.key))
        if len(therapist_plans) == therapists:
            break
    return patient_plans, therapist_plans


def log_in(port: int, plan: TherapistPlan) -> int:
    """POST /auth/login/ as a therapist app would, then the second step with the code their
    authenticator app shows (rehab/two_factor.py); keeps the token; returns the status."""
    from django_otp.oath import totp

    body = {"username": plan.username, "password": PASSWORD, "device_name": "soak"}
    try:
        status, answer = _post(port, "/api/v1/auth/login/", body)
        if status == 202:
            code = str(totp(bytes.fromhex(plan.app_key))).zfill(6)
            step = {"challenge": answer["challenge"], "code": code, "device_name": "soak"}
            status, answer = _post(port, "/api/v1/auth/login/code/", step)
        plan.token = answer["token"]
        return status
    except urllib.error.HTTPError as error:
        return int(error.code)


def _post(port: int, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=_json(body),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status), json.loads(response.read())


def warm_up(port: int, patient: PatientPlan, therapist: TherapistPlan) -> list[int]:
    """A few reads so each worker has imported and connected (not counted)."""
    statuses = []
    for token, path in [
        (patient.token, "/api/v1/today/"),
        (patient.token, "/api/v1/sessions/"),
        (therapist.token, "/api/v1/caseload/"),
        (therapist.token, "/api/v1/flags/?status=open"),
    ] * 2:
        request = urllib.request.Request(
            f"http://{HOST}:{port}{path}", headers={"Authorization": f"Token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                statuses.append(int(response.status))
        except urllib.error.HTTPError as error:
            statuses.append(int(error.code))
    return statuses


# Machine conditions -------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid → (command name, CPU seconds so far), for every process we can read."""
    hertz = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        out[int(entry.name)] = (name, (int(rest[11]) + int(rest[12])) / hertz)
    return out


def cpu_used(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each command name used between two snapshots, largest first (`after`
    holds each process as last seen: sampled once a second, so a process that ended is
    counted up to its last sample)."""
    used: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        start = before.get(pid)
        spent = seconds - (start[1] if start and start[0] == name else 0.0)
        used[name] = used.get(name, 0.0) + spent
    return dict(sorted(used.items(), key=lambda pair: -pair[1]))


def gunicorn_cpu(master: int, snapshot: dict[int, tuple[str, float]]) -> float:
    """CPU seconds of the gunicorn master and its workers so far."""
    children = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = entry.read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == master:
            children.append(int(entry.parent.name))
    return round(sum(snapshot[p][1] for p in [master, *children] if p in snapshot), 1)


def server_log(path: Path) -> dict[str, Any]:
    """Gunicorn's own lines are "[…] [pid] [LEVEL] …"; anything else is the app logging at
    WARNING or above (a 4xx, a 5xx with its traceback, a slow query warning…)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    gunicorn = [line for line in lines if line.startswith("[")]
    app = [line for line in lines if not line.startswith("[")]
    return {
        "lines": len(lines),
        "gunicorn_not_info": [line for line in gunicorn if "[INFO]" not in line][:20],
        "gunicorn_errors": sum("[ERROR]" in line or "[CRITICAL]" in line for line in gunicorn),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "tracebacks": text.count("Traceback"),
        "app_lines": len(app),
        "app_examples": app[:20],
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and the files changed in the working tree beside it (read-only
    git commands: no index refresh)."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.rstrip() if out.returncode == 0 else ""

    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith("bench/results/")
    ]
    return {
        "commit": git("rev-parse", "HEAD") or "not a git checkout",
        "changed_files": changed[:40],
    }


# Results ------------------------------------------------------------------------------------


def summary(records: list[Record], elapsed: float) -> dict[str, Any]:
    ms = [r.latency * 1000 for r in records]
    statuses = Counter(r.status for r in records)
    return {
        "requests": len(records),
        "throughput_rps": round(len(records) / elapsed, 1),
        "statuses": {("no answer" if k == 0 else str(k)): v for k, v in sorted(statuses.items())},
        "transport_errors": statuses.get(0, 0),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "client_errors_4xx": sum(v for k, v in statuses.items() if 400 <= k < 500),
        "p50_ms": _round(percentile(ms, 0.50)),
        "p95_ms": _round(percentile(ms, 0.95)),
        "p99_ms": _round(percentile(ms, 0.99)),
        "max_ms": _round(max(ms, default=None)),
    }


def windows(records: list[Record], seconds: float) -> list[dict[str, Any]]:
    """Requests, p95 and errors per 10 s of the load, by when each request was sent: is the
    last window as good as the first?"""
    out = []
    start = 0.0
    while start < seconds:
        inside = [r for r in records if start <= r.started < start + WINDOW_S]
        ms = [r.latency * 1000 for r in inside]
        out.append(
            {
                "from_s": int(start),
                "requests": len(inside),
                "p95_ms": _round(percentile(ms, 0.95)),
                "errors": sum(r.status == 0 or r.status >= 400 for r in inside),
            }
        )
        start += WINDOW_S
    return out


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def counts() -> dict[str, int]:
    from patients.models import CheckIn, ExerciseLog, SessionLog

    return {
        "session_logs": SessionLog.objects.count(),
        "exercise_logs": ExerciseLog.objects.count(),
        "check_ins": CheckIn.objects.count(),
    }


def verify(ledger: Ledger, before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """Every 201 is one stored row with the client_uuid sent; nothing else was added."""
    from django.db.models import Count

    from patients.models import CheckIn, SessionLog

    out: dict[str, Any] = {}
    for name, model, sent in (
        ("session_logs", SessionLog, ledger.sessions),
        ("check_ins", CheckIn, ledger.check_ins),
    ):
        created = [s for s in sent if s["status"] == 201]
        ids = {s["id"] for s in created}
        stored = dict(model.objects.filter(pk__in=ids).values_list("pk", "client_uuid"))
        by_uuid = model.objects.filter(client_uuid__in=[s["client_uuid"] for s in created]).count()
        unanswered = [s["client_uuid"] for s in sent if s["status"] == 0]
        out[name] = {
            "posted": len(sent),
            "answered_201": len(created),
            "answered_200": sum(s["status"] == 200 for s in sent),
            "other_answers": sum(s["status"] not in (200, 201) for s in sent),
            "not_as_expected": sum(s["status"] != s["expected"] for s in sent),
            "rows_added": after[name] - before[name],
            "distinct_ids_in_201s": len(ids),
            "rows_found_for_201s": len(stored),
            "rows_with_the_client_uuid_sent": sum(
                s["id"] is not None and str(stored.get(uuid.UUID(s["id"]))) == s["client_uuid"]
                for s in created
            ),
            "rows_found_by_client_uuid": by_uuid,
            "unanswered_then_stored": model.objects.filter(client_uuid__in=unanswered).count(),
        }
        entry = out[name]
        entry["stored_exactly_once"] = (
            entry["rows_added"]
            == entry["answered_201"]
            == entry["distinct_ids_in_201s"]
            == entry["rows_found_for_201s"]
            == entry["rows_with_the_client_uuid_sent"]
            == entry["rows_found_by_client_uuid"]
        )
    # Each logged session (created or updated) holds exactly the exercise entries last sent.
    last_sent: dict[str, int] = {}
    for s in ledger.sessions:
        if s["status"] in (200, 201) and s["id"]:
            last_sent[s["id"]] = s["exercises"]
    held = dict(
        SessionLog.objects.filter(pk__in=last_sent)
        .annotate(n=Count("exercises"))
        .values_list("pk", "n")
    )
    out["session_logs"]["sessions_holding_the_entries_sent"] = sum(
        held.get(uuid.UUID(pk)) == n for pk, n in last_sent.items()
    )
    out["session_logs"]["sessions_logged"] = len(last_sent)
    out["session_logs"]["exercise_rows_added"] = after["exercise_logs"] - before["exercise_logs"]
    out["retries"] = {
        "sent": len(ledger.replays),
        "answered_200": sum(r["status"] == 200 for r in ledger.replays),
        "same_row_as_first": sum(r["id"] == r["first_id"] for r in ledger.replays),
    }
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="64 clients for 2 minutes, zero errors")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--patients", type=int, default=2000, help="clinic size to generate")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--therapists", type=int, default=8, help="of the clients")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep-data", action="store_true", help="reuse the soak database")
    parser.add_argument("--log", default=str(ROOT / "var" / "bench-soak-gunicorn.log"))
    args = parser.parse_args(argv)
    if not 0 < args.therapists < args.clients:
        raise SystemExit("--therapists must be between 1 and --clients - 1")

    set_up_began = time.monotonic()
    generated = prepare(args.database, args.patients, fresh=not args.keep_data)
    if isinstance(generated, str):
        emit({"result": generated})
        return
    setup_django(args.database)
    from django.db import connection
    from django.utils import timezone

    from patients.models import Flag
    from patients.monitoring.sweep import evaluate_active_programmes

    sweep = evaluate_active_programmes(now=timezone.now())
    patient_plans, therapist_plans = plans(args.patients, args.therapists)
    if len(therapist_plans) < args.therapists:
        raise SystemExit(f"only {len(therapist_plans)} therapists with 100 patients")
    patient_clients = args.clients - args.therapists
    pools = [patient_plans[n::patient_clients] for n in range(patient_clients)]
    if not all(pools):
        raise SystemExit(f"{len(patient_plans)} patients for {patient_clients} patient clients")
    due = {
        "patients": len(patient_plans),
        "sessions_due_today_not_logged": sum(len(p.free) for p in patient_plans),
        "patients_with_a_session_logged_today": sum(p.logged is not None for p in patient_plans),
        "patients_with_nothing_due_today": sum(
            not p.free and p.logged is None for p in patient_plans
        ),
        "patients_checked_in_today": sum(p.has_check_in for p in patient_plans),
        "open_flags": Flag.objects.filter(status="open").count(),
    }
    before = counts()
    connection.close()

    port = free_port()
    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_gunicorn(args.database, port, log)
    ledger = Ledger()
    try:
        logins = [log_in(port, t) for t in therapist_plans]
        if any(status != 200 for status in logins):
            raise SystemExit(f"therapist logins answered {logins}")
        warm = warm_up(port, patient_plans[0], therapist_plans[0])
        set_up_s = time.monotonic() - set_up_began
        scripts = [
            patient_script(pool, random.Random(args.seed * 1000 + n), ledger)
            for n, pool in enumerate(pools)
        ] + [
            therapist_script(t, random.Random(args.seed * 1000 + patient_clients + n), ledger)
            for n, t in enumerate(therapist_plans)
        ]
        load_before, ticks_before, procs_before = os.getloadavg(), cpu_ticks(), cpu_by_process()
        procs_after = dict(procs_before)  # each process as last seen

        def sample() -> None:
            procs_after.update(cpu_by_process())

        own_before = resource.getrusage(resource.RUSAGE_SELF)
        records, elapsed = drive(port, scripts, args.seconds, sample)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        load_after, ticks_after = os.getloadavg(), cpu_ticks()
        sample()
        server_cpu = gunicorn_cpu(server.pid, procs_after) - gunicorn_cpu(server.pid, procs_before)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    after = counts()
    checked = verify(ledger, before, after)
    by_endpoint: dict[str, list[Record]] = {}
    for record in records:
        by_endpoint.setdefault(record.endpoint, []).append(record)
    total = summary(records, elapsed)
    busy = ticks_after[0] - ticks_before[0]
    busy_s = busy / os.sysconf("SC_CLK_TCK")
    by_command = cpu_used(procs_before, procs_after)
    result: dict[str, Any] = {
        "what": f"{args.clients} closed-loop clients, no think time, {args.seconds:g} s",
        "server": "gunicorn 2 gthread workers x 4 threads, 127.0.0.1, DEBUG off, PostgreSQL",
        "database": args.database.rsplit("/", 1)[-1],
        "clinic": {
            "patients": generated.get("patients_in_database"),
            "generated_now": generated.get("patients_added"),
            "generate_seconds": generated.get("seconds"),
            "sweep_before_the_run": {"programmes": sweep.programmes, "flags": sweep.created},
            **due,
        },
        "clients": {
            "total": args.clients,
            "patient": patient_clients,
            "therapist": args.therapists,
            "patients_per_patient_client": f"{min(map(len, pools))}–{max(map(len, pools))}",
            "patient_tokens": len(patient_plans),
            "therapist_logins": Counter(str(s) for s in logins),
        },
        "set_up_seconds": round(set_up_s, 1),
        "warm_up_statuses": dict(Counter(str(s) for s in warm)),
        "seconds": round(elapsed, 2),
        "total": total,
        "endpoints": {name: summary(rows, elapsed) for name, rows in sorted(by_endpoint.items())},
        "windows_10s": windows(records, args.seconds),
        "client_errors": ledger.client_errors,
        "transport_error_examples": ledger.transport_errors,
        "database_check": checked,
        "server_log": server_log(log),
        "conditions": {
            "load_average_1_5_15_before": [round(v, 2) for v in load_before],
            "load_average_1_5_15_after": [round(v, 2) for v in load_after],
            "machine_cpu_busy_percent": round(100 * busy / (ticks_after[1] - ticks_before[1]), 1),
            "cpu_seconds_gunicorn": round(server_cpu, 1),
            "cpu_seconds_load_client": round(
                own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime,
                1,
            ),
            "cpu_seconds_available": round(elapsed * (os.cpu_count() or 1), 1),
            "cpu_seconds_busy": round(busy_s, 1),
            "cpu_seconds_by_command": {
                name: round(v, 1) for name, v in list(by_command.items())[:12] if v >= 0.5
            },
            # processes that lived under a second between two samples, and the kernel
            "cpu_seconds_not_attributed": round(busy_s - sum(by_command.values()), 1),
        },
        "machine": machine(),
        "code": code_version(),
    }
    result["zero_errors"] = (
        total["transport_errors"] == 0
        and total["server_errors_5xx"] == 0
        and total["client_errors_4xx"] == 0
        and checked["session_logs"]["stored_exactly_once"]
        and checked["check_ins"]["stored_exactly_once"]
        and checked["retries"]["same_row_as_first"] == checked["retries"]["sent"]
        and checked["session_logs"]["sessions_holding_the_entries_sent"]
        == checked["session_logs"]["sessions_logged"]
        and checked["session_logs"]["not_as_expected"] == 0
        and checked["check_ins"]["not_as_expected"] == 0
        and result["server_log"]["tracebacks"] == 0
        and result["server_log"]["worker_timeouts"] == 0
        and result["server_log"]["gunicorn_errors"] == 0
    )
    emit(result)


if __name__ == "__main__":
    main()
