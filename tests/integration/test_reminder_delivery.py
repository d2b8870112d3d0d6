"""Reminders delivered in batches by real worker processes, Redis, a real SMTP server and a
local push service, with a worker child SIGKILLed mid-batch (issue 14): every reminder reaches
the app exactly once, and every e-mail and web-push copy gets out — at most the one message
in flight when the worker died goes twice (an e-mail under the same Message-ID).

Needs PostgreSQL and Redis: runs in CI, skips on a laptop without them."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bench.push_receiver import running_receiver
from bench.smtp_sink import read_log, start_sink
from patients.models import Notification, PushSubscription, Reminder
from patients.notifications.push import new_private_key
from patients.reminders.services import deliver_due_reminders
from patients.reminders.tasks import reminder_sweep
from tests import factories
from tests.integration.conftest import (
    celery_worker_process,
    needs_postgresql,
    needs_real_services,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PATIENTS = 30  # two reminders each, due now: a session and the morning check-in
LEASE_SECONDS = 3


@contextlib.contextmanager
def smtp_sink(log: Path) -> Iterator[int]:
    """bench/smtp_sink.py in its own process: a real SMTP server logging each message."""
    process, port = start_sink(log)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def _clinic() -> list[Any]:
    reminders = []
    for _ in range(PATIENTS):
        patient = factories.PatientFactory()
        session = factories.due_session_reminder(patient)
        check_in = Reminder.objects.create(
            patient=patient,
            local_date=session.local_date,
            slot="check_in",
            kind="check_in",
            due_at=session.due_at,
        )
        reminders += [session, check_in]
    return reminders


@pytest.mark.parametrize("stall", ["delivery", "email"])
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    stall: str, loaded_catalogue: None, tmp_path: Path
) -> None:
    needs_real_services()
    reminders = _clinic()
    mail_log = tmp_path / "mail.log"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "REHAB_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "REHAB_TEST_STALL": stall,
        "REHAB_TEST_STALL_DIR": str(tmp_path),
        "REHAB_VAPID_PRIVATE_KEY": new_private_key(),
    }
    with (
        smtp_sink(mail_log) as port,
        running_receiver() as push_service,
        celery_worker_process(
            "tests.support.killable_delivery_worker",
            EMAIL_PORT=str(port),
            REHAB_PUSH_SERVICES=push_service.origin,
            **env,
        ),
    ):
        # Each patient has a phone with web push on.
        for reminder in reminders[::2]:
            user = reminder.patient.user
            push_service.device(str(user.pk))
            sub = push_service.subscription(str(user.pk))
            PushSubscription.objects.create(user=user, endpoint=sub["endpoint"], **sub["keys"])
        reminder_sweep.delay()  # the per-minute job: one batch task for the 60
        stalled = tmp_path / "stalled"
        wait_for(stalled.exists, timeout=60)
        if stall == "email":
            wait_for(lambda: len(read_log(mail_log)) >= 5, timeout=30)  # mid-batch
        os.kill(int(stalled.read_text()), signal.SIGKILL)

        # The beat goes on: the per-minute job (here every second) starts batches for what is
        # still due (the dead batch's rows at once; its e-mails once their lease is over).
        def done() -> bool:
            reminder_sweep.delay()
            time.sleep(1)
            sent = Reminder.objects.filter(status="sent").count() == len(reminders)
            pushed = {str(p.payload) for p in push_service.received}
            return (
                sent
                and len({m for _, m, _ in read_log(mail_log)}) >= len(reminders)
                and len(pushed) >= len(reminders)
            )

        wait_for(done, timeout=120, every=0)

    notes = Notification.objects.filter(kind__startswith="reminder:")
    # In the app: exactly once.
    assert notes.count() == len(reminders)
    assert len(set(notes.values_list("user", "kind"))) == len(reminders)
    # By e-mail: each notification's copy arrived, under its own Message-ID.
    received = Counter(message_id for _, message_id, _ in read_log(mail_log))
    assert set(received) == {
        f"<notification-{pk}@localhost>" for pk in notes.values_list("pk", flat=True)
    }
    twice = [message_id for message_id, n in received.items() if n > 1]
    if stall == "delivery":  # killed before anything committed: nothing was in flight
        assert twice == []
        assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}  # rolled back
    else:  # killed between the server's "250 OK" and the mark: that one message, again
        assert len(twice) <= 1
        assert all(received[m] == 2 for m in twice)
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").exists()
    assert all(r.sent_at <= timezone.now() for r in Reminder.objects.all())
    # By web push: each notification reached its patient's phone, decrypted there, once.
    pushed = Counter(
        (p.device, p.payload["url"]) for p in push_service.received if p.payload is not None
    )
    assert set(pushed) == {
        (str(user), f"/notifications/{pk}/") for pk, user in notes.values_list("pk", "user")
    }
    assert all(p.answer == 201 for p in push_service.received)  # signature and TTL accepted
    duplicates = sum(n - 1 for n in pushed.values())
    assert duplicates == 0 if stall == "delivery" else duplicates <= 1


def test_a_second_batch_skips_the_rows_a_first_holds_and_takes_the_next(
    loaded_catalogue: None,
) -> None:
    """Two workers at once on PostgreSQL: the second batch neither waits for nor takes the
    reminders the first has locked (SKIP LOCKED)."""
    needs_postgresql()
    reminders = _clinic()
    held = [r.pk for r in reminders[:10]]
    locked, release = threading.Event(), threading.Event()

    def first_worker() -> None:
        try:
            with transaction.atomic():
                list(Reminder.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        second = deliver_due_reminders(now=timezone.now())
    finally:
        release.set()
        thread.join()
    assert second.sent == len(reminders) - len(held)
    assert set(Reminder.objects.filter(pk__in=held).values_list("status", flat=True)) == {"pending"}
    assert deliver_due_reminders(now=timezone.now()).sent == len(held)
    assert Notification.objects.filter(kind__startswith="reminder:").count() == len(reminders)
