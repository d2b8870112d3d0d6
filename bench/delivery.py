"""Reminder delivery end to end: the 08:00 London wave (and a quiet minute) of a generated
clinic, delivered by two real `celery worker` processes through Redis, e-mail going to a real
SMTP server on loopback (bench/smtp_sink.py) — beside the floors of the same run.

    python -m bench.delivery --database postgres://…/bench --redis redis://127.0.0.1:6379/6 \
        --today 2026-12-06 [--workers 2] [--timeout 900]

On generated data (bench.generate, same `--today`), every patient's local days are planned
(`plan_reminders`, once: the night's work, through tomorrow). For each instant of tomorrow —
08:00 London (the peak) and 02:30 London (Kolkata's 08:00: a quiet minute) — the wave is the
reminders due at exactly that minute. The
workers run on the real clock, so the wave is moved to "now": its rows are due at T0, and every
other reminder due before the run is marked sent (what earlier runs delivered). Then, as the
beat would, the per-minute job (`reminder_sweep`) is sent at T0 and again every minute until
nothing is left. Measured: reminders delivered per second and the lateness of each in-app
notification (created − due) and of each e-mail (accepted by the SMTP server − due), as
p50/p90/p99/max; counted: notifications per reminder (duplicates, lost) and e-mails per
Message-ID (duplicates, lost). The wave's due times and statuses are put back afterwards.

Floors, in the same run: the SMTP server alone (two bare clients, one connection each, the
same number of messages built beforehand, pipelined as the workers send them: the most this
mail server takes on this machine from clients that wait for each message's answer) and the
database alone (one INSERT … SELECT writing the wave's notifications and one UPDATE marking it
sent, rolled back).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import push_receiver
from bench.common import ROOT, check_redis_url, emit, setup_django, stopwatch
from bench.smtp_sink import read_log, start_sink

LONDON = ZoneInfo("Europe/London")
# The morning after the generated history (so nothing of that day is done yet): the 08:00
# wave of London and Dublin, and 02:30 London, Kolkata's 08:00 (a quiet minute elsewhere).
INSTANTS = {"peak_0800_london": clock(8, 0), "quiet_0230_london": clock(2, 30)}


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 2)}


def start_workers(
    count: int,
    database: str,
    redis: str,
    port: int,
    extra: dict[str, str] | None = None,
    log: Path | None = None,
) -> list[Any]:
    """`count` worker processes (one task at a time each). With `log`, each logs at INFO to
    that file (Celery's line for each task that succeeds), otherwise warnings only, nowhere."""
    level = "INFO" if log else "WARNING"
    env = {
        **(extra or {}),
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "REHAB_LOG_LEVEL": level,
    }
    with log.open("a") if log else open(os.devnull, "w") as output:  # each child keeps a copy
        return [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "rehab",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    f"--hostname=bench-delivery-{n}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    f"--loglevel={level}",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=output,
            )
            for n in range(count)
        ]


def wait_for_workers(count: int, timeout: float = 120) -> None:
    from rehab.celery import app

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if len(app.control.ping(timeout=1.0) or []) >= count:
            return
    raise SystemExit(f"{count} workers did not answer within {timeout:.0f} s")


def stop(processes: list[Any]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def plan(today: date) -> dict[str, Any]:
    """Every patient's local days, planned once (skipped when the database holds a plan)."""
    from patients.models import Patient, Reminder, ReminderPlan
    from patients.reminders.services import plan_reminders

    if ReminderPlan.objects.count() >= Patient.objects.count():
        return {"planned_before": True, "reminders": Reminder.objects.count()}
    night = datetime.combine(today, clock(0, 30), tzinfo=LONDON).astimezone(UTC)
    with stopwatch() as elapsed:
        patients = plan_reminders(now=night)
    return {
        "patients_planned": patients,
        "reminders": Reminder.objects.count(),
        "seconds": round(elapsed(), 1),
    }


def made_by_runs(notes: Any, today: date) -> Any:
    """The notifications of `notes` made by this benchmark's runs, which deliver `today` (the
    day after the generated data's): made on the real clock, on or after midnight UTC of the
    generated day. An aged clinic's history (bench.age) is older, and stays."""
    return notes.filter(created_at__gte=datetime.combine(today - timedelta(days=1), clock(0), UTC))


def prepare(
    today: date, local: clock, t0: datetime, replicate: int = 1
) -> tuple[list[Any], datetime]:
    """The wave due at `local` London time on `today`, moved to be due at `t0`; every other
    reminder due by then marked sent. With `replicate` K > 1, K − 1 copies of the wave are
    added on the K − 1 following dates (same patients, slots and kinds; nothing is logged on
    those dates yet): a wave K times as large. Returns the wave's ids and its due time."""
    from django.db import connection

    from patients.models import Notification, Reminder

    due = datetime.combine(today, local, tzinfo=LONDON).astimezone(UTC)
    made_by_runs(Notification.objects.filter(kind__startswith="reminder:"), today).delete()
    Reminder.objects.filter(local_date__gt=today).delete()  # copies left by an earlier run
    if replicate > 1:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Reminder._meta.db_table} (id, created_at, updated_at,"
                " patient_id, local_date, slot, kind, due_at, status, attempts)"
                " SELECT gen_random_uuid(), now(), now(), patient_id, local_date + k, slot,"
                " kind, due_at, 'pending', 0"
                f" FROM {Reminder._meta.db_table}, generate_series(1, %s) AS k"
                " WHERE due_at = %s AND local_date = %s",
                [replicate - 1, due, today],
            )
            cursor.execute(f"ANALYZE {Reminder._meta.db_table}")
    wave = list(Reminder.objects.filter(due_at=due).values_list("pk", flat=True))
    Reminder.objects.filter(
        status=Reminder.Status.PENDING, due_at__lte=t0 + timedelta(hours=1)
    ).update(status=Reminder.Status.SENT)
    reset = {"status": Reminder.Status.PENDING}
    for start in range(0, len(wave), 10_000):
        Reminder.objects.filter(pk__in=wave[start : start + 10_000]).update(
            due_at=t0, attempts=0, sent_at=None, nudged_at=None, **reset
        )
    # What autovacuum does in production after churn like this (the bench machine's server
    # runs without it): the dead rows of the mass updates and of the last run's notices
    # cleared, and statistics that know the wave is pending, so every run starts from the
    # same state however many ran before it (at 100,000 patients each run leaves ~170,000
    # dead notices and as many dead reminder rows behind).
    with connection.cursor() as cursor:
        for model in (Reminder, Notification):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    return wave, due


def restore(wave: list[Any], due: datetime, today: date) -> None:
    from patients.models import Reminder

    Reminder.objects.filter(local_date__gt=today).delete()  # the copies, if any

    for start in range(0, len(wave), 10_000):
        Reminder.objects.filter(pk__in=wave[start : start + 10_000]).update(
            due_at=due, status=Reminder.Status.PENDING
        )


def deliver_wave(
    *,
    today: date,
    local: clock,
    workers: int,
    database: str,
    redis: str,
    timeout: float,
    replicate: int = 1,
    email: bool = True,
    push: bool = False,
    smtp_server: str = "aiosmtpd",
    worker_log: Path | None = None,
) -> dict[str, Any]:
    import redis as redis_client
    from django.db.models import Count

    from patients.models import Notification, Patient, PushSubscription, Reminder
    from patients.notifications.push import new_private_key
    from patients.reminders.tasks import reminder_sweep

    redis_client.Redis.from_url(check_redis_url(redis)).flushdb()  # our own db, never 0
    with tempfile.TemporaryDirectory() as folder:
        mail_log = Path(folder) / "mail.log"
        push_log = Path(folder) / "push.log"
        push_log.touch()
        sink, port = start_sink(mail_log, smtp_server)
        services = [sink]
        extra = {}
        # Every patient's phone on one local push service (one key pair for all of them).
        phone = push_receiver.Device("phones")
        if push:
            receiver, origin = push_receiver.start_receiver_process(push_log, phone)
            services.append(receiver)
            extra = {"REHAB_VAPID_PRIVATE_KEY": new_private_key(), "REHAB_PUSH_SERVICES": origin}
        processes = start_workers(workers, database, redis, port, extra, log=worker_log)
        try:
            wait_for_workers(workers)
            Patient.objects.update(email_reminders=email)
            wave, due = prepare(today, local, datetime.now(UTC), replicate)
            PushSubscription.objects.all().delete()
            if push:
                users = set(
                    Reminder.objects.filter(pk__in=wave).values_list("patient__user_id", flat=True)
                )
                PushSubscription.objects.bulk_create(
                    [
                        PushSubscription(
                            user_id=user,
                            endpoint=f"{origin}/push/{user}",
                            p256dh=phone.p256dh,
                            auth=push_receiver.b64url(phone.auth),
                        )
                        for user in users
                    ],
                    batch_size=5_000,
                )
            # The floor on the very rows about to be delivered (rolled back), then the wave
            # falls due: T0.
            floor = database_floor(wave)
            t0 = datetime.now(UTC)
            for start in range(0, len(wave), 10_000):
                Reminder.objects.filter(pk__in=wave[start : start + 10_000]).update(due_at=t0)
            pending = Reminder.objects.filter(due_at=t0, status=Reminder.Status.PENDING)
            owed = Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="")
            unpushed = Notification.objects.filter(push_wanted=True, pushed_at__isnull=True)
            started = time.monotonic()
            beat = started
            reminder_sweep.delay()  # the per-minute job at T0
            while time.monotonic() - started < timeout:
                time.sleep(0.5)
                if time.monotonic() - beat >= 60:  # and again each minute, as the beat does
                    beat = time.monotonic()
                    reminder_sweep.delay()
                if not pending.exists() and not owed.exists() and not unpushed.exists():
                    break
            seconds = time.monotonic() - started
            time.sleep(2)  # anything still in flight lands before counting
        finally:
            stop(processes)
            stop(services)
            PushSubscription.objects.all().delete()
        received = read_log(mail_log)
        pushed = push_receiver.read_log(push_log)
    notes = made_by_runs(Notification.objects.filter(kind__startswith="reminder:"), today)
    created = [(c - t0).total_seconds() for c in notes.values_list("created_at", flat=True)]
    statuses = dict(
        Reminder.objects.filter(due_at=t0).values_list("status").annotate(n=Count("pk")).order_by()
    )
    emails_owed = notes.exclude(email_to="").count()
    by_id = Counter(message_id for _, message_id, _ in received)
    email_lateness = [at - t0.timestamp() for at, _, _ in received]
    delivered = statuses.get("sent", 0) + statuses.get("skipped", 0)
    pushes_owed = notes.filter(push_wanted=True).count()
    push_by_url = Counter(url for _, _, url, status in pushed if status == 201)
    push_lateness = [at - t0.timestamp() for at, _, _, status in pushed if status == 201]
    in_app_seconds = max(created) if created else 0.0
    restore(wave, due, today)
    Patient.objects.update(email_reminders=True)  # as generated
    return {
        "wave_due_london": local.isoformat(),
        "reminders": len(wave),
        "sent": statuses.get("sent", 0),
        "skipped_already_done_or_paused": statuses.get("skipped", 0),
        "lost": len(wave) - delivered,
        "notifications": notes.count(),
        # Each reminder leaves pending once: a notification more than the reminders sent
        # would be one sent twice.
        "duplicate_notifications": notes.count() - statuses.get("sent", 0),
        "in_app_seconds": round(in_app_seconds, 2),
        "reminders_per_second": round(delivered / in_app_seconds, 1) if in_app_seconds else None,
        "in_app_lateness_s": percentiles(created),
        "emails_owed": emails_owed,
        "emails_received": len(received),
        "emails_unique": len(by_id),
        "duplicate_emails": len(received) - len(by_id),
        "lost_emails": emails_owed - len(by_id),
        "emails_seconds": round(max(email_lateness), 2) if email_lateness else None,
        "emails_per_second": round(len(by_id) / max(email_lateness), 1) if email_lateness else None,
        "email_lateness_s": percentiles(email_lateness),
        "pushes_owed": pushes_owed,
        "pushes_received": len(pushed),
        "pushes_refused": sum(1 for *_, status in pushed if status != 201),
        "pushes_unique": len(push_by_url),
        "duplicate_pushes": sum(push_by_url.values()) - len(push_by_url),
        "lost_pushes": pushes_owed - len(push_by_url),
        "pushes_per_second": (
            round(len(push_by_url) / max(push_lateness), 1) if push_lateness else None
        ),
        "push_lateness_s": percentiles(push_lateness),
        "seconds_until_done": round(seconds, 1),
        "timed_out": seconds >= timeout,
        "workers": workers,
        "replicated": replicate,
        "email_reminders": email,
        "web_push": push,
        "smtp_server": smtp_server,
        "floor_database": floor,
    }


def _clients_at_once(send: Any, clients: int) -> float:
    """Run `send(n)` for each of `clients` clients at once, in threads; the seconds taken."""
    threads = [threading.Thread(target=send, args=(n,)) for n in range(clients)]
    with stopwatch() as elapsed:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return elapsed()


def _floor(messages: int, clients: int, seconds: float) -> dict[str, Any]:
    return {
        "messages": messages,
        "clients": clients,
        "seconds": round(seconds, 2),
        "messages_per_second": round(messages / seconds, 1),
    }


def smtp_floor(messages: int, clients: int = 2, server: str = "aiosmtpd") -> dict[str, Any]:
    """The SMTP server alone: `clients` bare clients, one connection each, sending messages
    built beforehand, pipelined as the workers send them (a message's content and the next
    one's envelope in one write; each message's answer read before the next content goes)."""
    each = messages // clients
    built = [[_floor_message(n, i) for i in range(each)] for n in range(clients)]
    with tempfile.TemporaryDirectory() as folder:
        sink, port = start_sink(Path(folder) / "mail.log", server)
        try:

            def send(n: int) -> None:
                writes = [b"", *(content for _, content in built[n])]
                envelopes = [*(envelope for envelope, _ in built[n]), b""]
                with smtplib.SMTP("127.0.0.1", port) as smtp:
                    smtp.ehlo()
                    assert smtp.has_extn("pipelining")
                    for i, (content, envelope) in enumerate(zip(writes, envelopes, strict=True)):
                        smtp.send(content + envelope)
                        replies = [smtp.getreply() for _ in range((i > 0) + 3 * (i < each))]
                        assert all(code in (250, 354) for code, _ in replies), replies

            seconds = _clients_at_once(send, clients)
        finally:
            stop([sink])
    return _floor(each * clients, clients, seconds)


def _floor_message(n: int, i: int) -> tuple[bytes, bytes]:
    """A floor client's message as SMTP sends it: its envelope's commands and its content."""
    message = EmailMessage()
    message["Subject"] = "Time for your exercises"
    message["From"] = "rehab@localhost"
    message["To"] = to = f"floor-{n}-{i}@example.org"
    message["Message-ID"] = f"<floor-{n}-{i}@localhost>"
    message.set_content("Your session 1 of today's programme is due.")
    envelope = f"MAIL FROM:<rehab@localhost>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode()
    return envelope, message.as_bytes(policy=SMTP) + b".\r\n"


def push_floor(messages: int, clients: int = 2) -> dict[str, Any]:
    """The push service alone: `clients` bare HTTP clients (one keep-alive session each)
    posting one message encrypted and signed beforehand, `messages` in all: the most this
    receiver takes on this machine."""
    import requests
    from py_vapid import Vapid02
    from pywebpush import WebPusher

    phone = push_receiver.Device("floor")
    with tempfile.TemporaryDirectory() as folder:
        receiver, origin = push_receiver.start_receiver_process(Path(folder) / "push.log", phone)
        try:
            vapid = Vapid02()
            vapid.generate_keys()
            headers = vapid.sign(
                {"aud": origin, "exp": int(time.time()) + 3600, "sub": "mailto:floor@localhost"}
            )
            endpoint = f"{origin}/push/floor"
            info = {
                "endpoint": endpoint,
                "keys": {"p256dh": phone.p256dh, "auth": push_receiver.b64url(phone.auth)},
            }
            encoded = WebPusher(info).encode(b'{"title": "Time for your exercises", "url": "/"}')
            body = encoded["body"]
            headers = {**headers, "Content-Encoding": "aes128gcm", "TTL": "3600"}
            each = messages // clients

            def send(n: int) -> None:
                with requests.Session() as session:
                    for _ in range(each):
                        session.post(endpoint, data=body, headers=headers, timeout=10)

            seconds = _clients_at_once(send, clients)
        finally:
            stop([receiver])
    return _floor(each * clients, clients, seconds)


def database_floor(wave: list[Any]) -> dict[str, Any]:
    """The database alone: the wave's notifications written by one INSERT … SELECT and the
    wave marked sent by one UPDATE, in a transaction rolled back."""
    from django.db import connection, transaction

    from patients.models import Notification, Patient, Reminder

    insert = f"""
        INSERT INTO {Notification._meta.db_table}
            (id, created_at, updated_at, user_id, kind, title, body, email_to)
        SELECT gen_random_uuid(), now(), now(), p.user_id, 'reminder:' || r.kind,
               'Time for your exercises', 'Your session 1 of today''s programme is due.',
               u.email
        FROM {Reminder._meta.db_table} r
        JOIN {Patient._meta.db_table} p ON p.id = r.patient_id
        JOIN auth_user u ON u.id = p.user_id
        WHERE r.id = ANY(%s)
    """
    update = (
        f"UPDATE {Reminder._meta.db_table} SET status = 'sent', sent_at = now() WHERE id = ANY(%s)"
    )
    with transaction.atomic(), connection.cursor() as cursor, stopwatch() as elapsed:
        cursor.execute(insert, [wave])
        rows = cursor.rowcount
        cursor.execute(update, [wave])
        seconds = elapsed()
        transaction.set_rollback(True)
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="reminder delivery, end to end")
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--only", choices=sorted(INSTANTS), help="one instant only")
    parser.add_argument(
        "--replicate",
        type=int,
        default=1,
        help="K: the wave and K-1 copies on later dates (a clinic K times as large, at its peak)",
    )
    parser.add_argument(
        "--with-push",
        action="store_true",
        help="every patient of the wave has a phone with web push on (a local push service)",
    )
    parser.add_argument(
        "--without-email",
        action="store_true",
        help="every patient has e-mail reminders off for the run: the in-app delivery alone",
    )
    parser.add_argument(
        "--smtp-server",
        choices=["aiosmtpd", "postfix"],
        default="aiosmtpd",
        help="the local mail server: aiosmtpd (Python), or Postfix's smtp-sink (C, faster)",
    )
    parser.add_argument(
        "--worker-log",
        type=Path,
        help="the workers log at INFO to this file: Celery's line for each task, with its time",
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("postgres"):
        raise SystemExit("the workers are separate processes: use a PostgreSQL bench database")
    setup_django(args.database, args.redis)
    from patients.models import Patient

    result: dict[str, Any] = {"patients": Patient.objects.count(), "plan": plan(args.today)}
    day = args.today + timedelta(days=1)
    for name, local in INSTANTS.items():
        if args.only and name != args.only:
            continue
        wave = deliver_wave(
            today=day,
            local=local,
            workers=args.workers,
            database=args.database,
            redis=args.redis,
            timeout=args.timeout,
            replicate=args.replicate,
            email=not args.without_email,
            push=args.with_push,
            smtp_server=args.smtp_server,
            worker_log=args.worker_log,
        )
        smtp = (
            smtp_floor(max(wave["emails_owed"], 2), server=args.smtp_server)
            if wave["emails_owed"]
            else None
        )
        pushes = push_floor(max(wave["pushes_owed"], 2)) if wave["pushes_owed"] else None
        floor = wave["floor_database"]
        result[name] = {
            **wave,
            "floor_smtp": smtp,
            "floor_push": pushes,
            "push_vs_push_floor": (
                round(pushes["messages_per_second"] / wave["pushes_per_second"], 2)
                if pushes and wave["pushes_per_second"]
                else None
            ),
            "in_app_vs_database_floor": (
                round(floor["rows_per_second"] / wave["reminders_per_second"], 1)
                if wave["reminders_per_second"] and floor["rows_per_second"]
                else None
            ),
            "email_vs_smtp_floor": (
                round(smtp["messages_per_second"] / wave["emails_per_second"], 2)
                if smtp and wave["emails_per_second"]
                else None
            ),
        }
    emit(result)


if __name__ == "__main__":
    main()
