"""Run every benchmark side by side and write JSON to bench/results/<mode>/.

    python -m bench.run            # full: sweep at 1k/10k/100k, API at 10k patients
    python -m bench.run --quick    # the same steps, small and short (under 5 minutes)
    python -m bench.run --only soak   # 64 clients for 2 minutes, zero errors (bench/soak.py)

Each measurement runs in a child process (so peak memory is its own) with a time limit.
PostgreSQL (`--postgres`, database `bench`, recreated unless --keep-data) carries the sweep,
the reminder dispatch and the API; SQLite (`--sqlite`, var/bench.sqlite3) the data-generation
and sweep figures for the laptop default. The soak has a database of its own (`bench_soak`)
and runs in the full run, or alone with `--only soak` (which then touches nothing else). A part
whose server is not there is reported as skipped with the reason, never silently left out.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench.common import (
    DEFAULT_POSTGRES,
    DEFAULT_REDIS,
    DEFAULT_SQLITE,
    RESULTS,
    check_database_url,
    check_redis_url,
    default_today,
    machine,
    run_json,
    write_result,
)

DEFAULT_SQLITE_QUICK = DEFAULT_SQLITE.replace("bench.sqlite3", "bench-quick.sqlite3")
MODES: dict[str, dict[str, Any]] = {
    "quick": {
        "sizes": [1000],
        "sqlite_size": 1000,
        "check_limit": 300,
        "legacy_limit": 200,
        "planner_seconds": 2,
        "reminder_sizes": [1000],
        "delivery_instants": ["peak_0800_london"],  # the quiet minute in the full run only
        "api_size": 1000,
        "api_seconds": 1,
        "api_warmup": 0.3,
        "api_levels": "1,8,32,64",
        "reads_patients": 50,
        "soak_patients": 1000,  # the quick run soaks only when asked: --only soak
        "soak_clients": 64,
        "soak_seconds": 15,
    },
    "full": {
        "sizes": [1000, 10000, 100000],
        "sqlite_size": 10000,
        "check_limit": 1000,
        "legacy_limit": 1000,
        "planner_seconds": 10,
        "reminder_sizes": [10000, 100000],
        "delivery_instants": [],  # all
        "api_size": 10000,
        "api_seconds": 10,
        "api_warmup": 2,
        "api_levels": "1,8,32,64",
        "reads_patients": 200,
        "soak_patients": 2000,
        "soak_clients": 64,
        "soak_seconds": 120,
    },
}


def postgres_ready(url: str, *, fresh: bool) -> str | None:
    """Create (or recreate) the bench database; None if ready, else why not."""
    import psycopg

    parsed = urlparse(check_database_url(url))
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            if fresh:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return f"skipped: PostgreSQL not reachable ({error.__class__.__name__})"
    return None


def redis_ready(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(check_redis_url(url), socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"skipped: Redis not reachable ({error.__class__.__name__})"
    return None


class Runner:
    def __init__(self, mode: str, today: date) -> None:
        self.mode, self.today = mode, today
        self.folder = RESULTS / mode
        self.log: list[str] = []
        self.started = time.monotonic()

    def step(self, label: str, work: Callable[[], Any]) -> Any:
        began = time.monotonic()
        print(f"[{time.monotonic() - self.started:6.0f}s] {label} …", flush=True)  # noqa: T201
        try:
            result = work()
        except Exception as error:  # a failed step is reported, and the run goes on
            result = {"error": str(error)[-2000:]}
        took = time.monotonic() - began
        self.log.append(f"{label}: {took:.1f}s")
        print(f"          {json.dumps(result, default=str)[:300]}", flush=True)  # noqa: T201
        return result

    def save(self, name: str, result: Any) -> Path:
        return write_result(f"{self.mode}/{name}", result)

    def child(self, *args: str, timeout: float = 3600) -> Any:
        return run_json(list(args), timeout=timeout)


def monitoring(
    runner: Runner,
    database: str,
    size: int,
    cfg: dict[str, Any],
    *,
    compare: bool = True,
    redis: str | None = None,
) -> dict[str, Any]:
    """Floor, sweep (fresh and steady; with `redis`, also as the hourly task runs it, on two
    worker processes) and, with `compare`, the equivalence check (smallest size) and the
    per-patient sweep on a sample (up to 10,000 patients)."""
    today = runner.today.isoformat()
    args = ["--database", database, "--today", today]
    out: dict[str, Any] = {"patients": size}
    if compare and size == min(cfg["sizes"]):
        out["check"] = runner.step(
            f"sweep equivalence check ({size})",
            lambda: runner.child(
                "bench.monitoring", "check", *args, "--limit", str(cfg["check_limit"])
            ),
        )
    out["floor"] = runner.step(
        f"SQL floor ({size})", lambda: runner.child("bench.monitoring", "floor", *args)
    )
    out["sweep_fresh"] = runner.step(
        f"sweep from no flags ({size})",
        lambda: runner.child("bench.monitoring", "sweep", *args, "--fresh"),
    )
    out["sweep_steady"] = runner.step(
        f"sweep again ({size})", lambda: runner.child("bench.monitoring", "sweep", *args)
    )
    if redis:
        out["sweep_workers"] = runner.step(
            f"sweep on two workers ({size})",
            lambda: runner.child(
                "bench.monitoring", "workers", *args, "--redis", redis, "--repeat", "2"
            ),
        )
    if compare and size <= 10000:
        out["legacy"] = runner.step(
            f"per-patient sweep, first {cfg['legacy_limit']} ({size})",
            lambda: runner.child(
                "bench.monitoring", "legacy", *args, "--limit", str(cfg["legacy_limit"])
            ),
        )
    floor_s = out["floor"].get("seconds")
    sweep_s = out["sweep_fresh"].get("seconds")
    if floor_s and sweep_s:
        out["ratio_to_floor"] = round(sweep_s / floor_s, 2)
    steady_s = out["sweep_steady"].get("seconds")
    if floor_s and steady_s:
        out["steady_ratio_to_floor"] = round(steady_s / floor_s, 2)
    workers_s = out.get("sweep_workers", {}).get("seconds")
    if floor_s and workers_s:
        out["workers_ratio_to_floor"] = round(workers_s / floor_s, 2)
    legacy = out.get("legacy", {})
    if legacy.get("patients") and sweep_s:
        per_patient = legacy["seconds"] / legacy["patients"]
        out["legacy_extrapolated_seconds"] = round(per_patient * size, 1)
    return out


def reminder_delivery(
    runner: Runner, database: str, redis: str, size: int, cfg: dict[str, Any]
) -> dict[str, Any]:
    """The planner and the per-minute job at the peak and in a quiet minute, then the waves
    delivered end to end by two workers, Redis, a real SMTP server and (up to 10,000
    patients) a local web-push service (issues 14 and 16)."""
    today = runner.today.isoformat()
    out: dict[str, Any] = {"patients": size}
    out["planning_and_due_query"] = runner.step(
        f"reminder planning and the per-minute job ({size})",
        lambda: runner.child(
            "bench.reminder_sweep",
            "--database",
            database,
            "--today",
            today,
            "--redis",
            redis,
            "--repeat",
            "3",
            timeout=3600,
        ),
    )
    out["delivery"] = runner.step(
        f"reminder delivery, two workers + SMTP + web push ({size})",
        lambda: runner.child(
            "bench.delivery",
            "--database",
            database,
            "--redis",
            redis,
            "--today",
            today,
            # Beyond 10,000 patients, the in-app delivery alone: e-mail goes at the rate of
            # the mail server, measured at 10,000 beside its floor.
            *(["--without-email"] if size > 10000 else ["--with-push"]),
            *(f"--only={instant}" for instant in cfg["delivery_instants"]),
            timeout=3600,
        ),
    )
    return out


def soak(runner: Runner, database: str, cfg: dict[str, Any], *, keep_data: bool) -> Any:
    """Many clients for minutes on the soak's own database (bench/soak.py): zero errors?"""
    args = ["--database", database, "--patients", str(cfg["soak_patients"])]
    args += ["--clients", str(cfg["soak_clients"]), "--seconds", str(cfg["soak_seconds"])]
    result = runner.step(
        f"soak: {cfg['soak_clients']} clients for {cfg['soak_seconds']} s",
        lambda: runner.child(
            "bench.soak",
            *args,
            *(["--keep-data"] if keep_data else []),
            timeout=1800 + cfg["soak_seconds"],
        ),
    )
    runner.save("soak", result)
    return result


def generate(runner: Runner, database: str, size: int) -> Any:
    return runner.step(
        f"generate {size} patients ({urlparse(database).scheme})",
        lambda: runner.child(
            "bench.generate",
            "--patients",
            str(size),
            "--database",
            database,
            "--today",
            runner.today.isoformat(),
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="run the benchmarks")
    parser.add_argument("--quick", action="store_true", help="small and short: under 5 minutes")
    parser.add_argument("--postgres", help=f"default {DEFAULT_POSTGRES} (quick: …/bench_quick)")
    parser.add_argument("--sqlite", help=f"default {DEFAULT_SQLITE} (quick: bench-quick…)")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--soak-database", help=f"default {DEFAULT_POSTGRES}_soak (quick: …_quick)")
    parser.add_argument("--keep-data", action="store_true", help="extend existing bench data")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: generate,sweep,sqlite,planner,reminders,reads,api,soak",
    )
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    if not args.postgres:  # the quick run never wipes the full run's data
        args.postgres = DEFAULT_POSTGRES + ("_quick" if args.quick else "")
    if not args.sqlite:
        args.sqlite = DEFAULT_SQLITE_QUICK if args.quick else DEFAULT_SQLITE
    if not args.soak_database:
        args.soak_database = DEFAULT_POSTGRES + "_soak" + ("_quick" if args.quick else "")
    cfg = MODES[mode]
    only = set(filter(None, args.only.split(",")))
    if only == {"soak"}:  # the soak alone: the other parts' databases and results are left be
        soak(Runner(mode, default_today()), args.soak_database, cfg, keep_data=args.keep_data)
        return

    def wanted(part: str) -> bool:
        return not only or part in only

    runner = Runner(mode, default_today())
    summary: dict[str, Any] = {"mode": mode, "today": runner.today.isoformat()}
    runner.save("machine", {**machine(), "mode": mode, "config": cfg})

    postgres_skip = postgres_ready(args.postgres, fresh=not args.keep_data)
    redis_skip = redis_ready(args.redis)
    generated: list[Any] = []
    sweeps: list[Any] = []
    reminders: Any = postgres_skip or redis_skip
    delivered: list[Any] = []
    api: Any = postgres_skip
    for size in cfg["sizes"]:
        if postgres_skip:
            break
        generated.append(generate(runner, args.postgres, size))
        held = generated[-1].get("patients_in_database", size)
        if held > size:  # --keep-data on a larger clinic: this size cannot be measured
            sweeps.append({"patients": size, "result": f"skipped: the database holds {held}"})
            continue
        if wanted("sweep"):
            sweeps.append(
                monitoring(
                    runner, args.postgres, size, cfg, redis=None if redis_skip else args.redis
                )
            )
            runner.save("monitoring", {"postgresql": sweeps})
        if wanted("reminders") and not reminders and size in cfg["reminder_sizes"]:
            delivered.append(reminder_delivery(runner, args.postgres, args.redis, size, cfg))
            runner.save("reminders", {"postgresql": delivered})
        if size == cfg["api_size"]:
            if wanted("reads"):
                runner.save(
                    "reads",
                    runner.step(
                        f"today and caseload vs their SQL floors ({size} patients)",
                        lambda: runner.child(
                            "bench.reads",
                            "--database",
                            args.postgres,
                            "--patients",
                            str(cfg["reads_patients"]),
                            timeout=1800,
                        ),
                    ),
                )
            if wanted("api"):
                api = runner.step(
                    f"API vs floor ({size} patients)",
                    lambda: runner.child(
                        "bench.api",
                        "--database",
                        args.postgres,
                        "--seconds",
                        str(cfg["api_seconds"]),
                        "--warmup",
                        str(cfg["api_warmup"]),
                        "--levels",
                        cfg["api_levels"],
                        timeout=1800,
                    ),
                )
                runner.save("api", api)

    sqlite: dict[str, Any] = {}
    if wanted("sqlite"):
        path = Path(urlparse(args.sqlite).path)
        if not args.keep_data:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        sqlite["generate"] = generate(runner, args.sqlite, cfg["sqlite_size"])
        sqlite["monitoring"] = monitoring(
            runner, args.sqlite, cfg["sqlite_size"], cfg, compare=not args.quick
        )
    planner = runner.step(
        "planner rate",
        lambda: runner.child(
            "bench.planner",
            "--database",
            args.sqlite if wanted("sqlite") else args.postgres,
            "--seconds",
            str(cfg["planner_seconds"]),
        ),
    )
    runner.save("planner", planner)
    runner.save(
        "generate", {"postgresql": generated or postgres_skip, "sqlite": sqlite.get("generate")}
    )
    runner.save(
        "monitoring", {"postgresql": sweeps or postgres_skip, "sqlite": sqlite.get("monitoring")}
    )
    if "soak" in only or (not only and mode == "full"):  # the quick run: only when asked
        soak(runner, args.soak_database, cfg, keep_data=args.keep_data)
    summary |= {"steps": runner.log, "seconds": round(time.monotonic() - runner.started, 1)}
    if isinstance(reminders, str):
        runner.save("reminders", {"result": reminders})
    if isinstance(api, str):
        runner.save("api", {"result": api})
    runner.save("summary", summary)
    print(f"done in {summary['seconds']}s; results in {runner.folder}")  # noqa: T201


if __name__ == "__main__":
    main()
