"""Reminder dispatch through a real Celery worker and Redis: reminders per second, no duplicates.

    python -m bench.reminders --database postgres://…/bench --redis redis://127.0.0.1:6379/5 \
        --reminders 2000 [--concurrency 2]

N pending session reminders (due now, for tomorrow's first session so none is already done)
are created for generated patients; a `celery worker` process (prefork, --concurrency
children) is started on the bench database and a Redis db of its own (flushed first; never
db 0); every reminder is enqueued as `send_reminder_task` — as `reminder_sweep` does — plus a
duplicate message for one in ten (Redis can deliver a message twice). Timed from the first
enqueue until every reminder is sent. Then counted: reminders sent, in-app notifications and
e-mails (through bench.mail.CountingBackend), each of which must equal N.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, check_redis_url, emit, setup_django, stopwatch


def prepare(count: int) -> list[str]:
    """`count` pending reminders, due now, over the generated patients (2 slots a day)."""
    from django.utils import timezone

    from patients.models import Notification, Patient, Reminder

    Reminder.objects.all().delete()
    Notification.objects.filter(kind__startswith="reminder:").delete()
    patients = list(
        Patient.objects.filter(user__username__startswith="bench-p")
        .order_by("user__username")
        .values_list("pk", flat=True)[: (count + 1) // 2]
    )
    if len(patients) * 2 < count:
        raise SystemExit(f"need {(count + 1) // 2} generated patients, have {len(patients)}")
    now = timezone.now()
    tomorrow = timezone.localdate() + timedelta(days=1)
    rows = [
        Reminder(
            patient_id=patient_id,
            local_date=tomorrow,
            slot=f"session:{slot}",
            kind="session",
            due_at=now,
        )
        for slot in (1, 2)
        for patient_id in patients
    ][:count]
    Reminder.objects.bulk_create(rows)
    return [str(r.pk) for r in rows]


def start_worker(database: str, redis: str, mail_file: Path, concurrency: int) -> Any:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "EMAIL_BACKEND": "bench.mail.CountingBackend",
        "BENCH_MAIL_FILE": str(mail_file),
        "REHAB_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "rehab",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_worker(timeout: float = 60) -> None:
    from rehab.celery import app

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if app.control.ping(timeout=1.0):
            return
    raise SystemExit("the worker did not answer within a minute")


def dispatch(
    *, database: str, redis: str, count: int, concurrency: int, timeout: float
) -> dict[str, Any]:
    import redis as redis_client

    from patients.models import Notification, Reminder
    from patients.reminders.tasks import send_reminder_task

    redis_client.Redis.from_url(check_redis_url(redis)).flushdb()  # our own db, never 0
    ids = prepare(count)
    duplicates = ids[::10]
    with tempfile.TemporaryDirectory() as folder:
        mail_file = Path(folder) / "mail.log"
        mail_file.touch()
        worker = start_worker(database, redis, mail_file, concurrency)
        try:
            wait_for_worker()
            pending = Reminder.objects.filter(status=Reminder.Status.PENDING)
            with stopwatch() as elapsed:
                for reminder_id in ids:
                    send_reminder_task.delay(reminder_id)
                for reminder_id in duplicates:
                    send_reminder_task.delay(reminder_id)
                enqueued = elapsed()
                while pending.exists() and elapsed() < timeout:
                    time.sleep(0.1)
            seconds = elapsed()
            time.sleep(2)  # let the duplicate messages still queued run, then count
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        emails = len(mail_file.read_text().splitlines())
    sent = Reminder.objects.filter(status=Reminder.Status.SENT).count()
    notifications = Notification.objects.filter(kind="reminder:session").count()
    return {
        "reminders": count,
        "duplicate_messages": len(duplicates),
        "worker_concurrency": concurrency,
        "seconds": round(seconds, 3),
        "enqueue_seconds": round(enqueued, 3),
        "reminders_per_second": round(sent / seconds, 1) if seconds else None,
        "sent": sent,
        "notifications": notifications,
        "emails": emails,
        "no_duplicates": sent == notifications == emails == count,
        "timed_out": seconds >= timeout,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="reminder dispatch through worker + Redis")
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args(argv)
    if not args.database.startswith("postgres"):
        raise SystemExit("the worker is a separate process: use the PostgreSQL bench database")
    setup_django(args.database, args.redis)
    emit(
        dispatch(
            database=args.database,
            redis=args.redis,
            count=args.reminders,
            concurrency=args.concurrency,
            timeout=args.timeout,
        )
    )


if __name__ == "__main__":
    main()
