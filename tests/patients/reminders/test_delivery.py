"""Reminders delivered in batches, exactly once (issue 14): a batch claims its reminders by
locking them (only rows still pending; SKIP LOCKED on PostgreSQL), delivers them in the same
transaction, and leaves their e-mail copies to an outbox that claims its own batch with a
lease, sends it over one SMTP connection and marks each message as the server accepts it."""

from __future__ import annotations

import json
import smtplib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.models import Notification, Reminder, SessionLog
from patients.notifications import services as notification_services
from patients.notifications.services import EMAILS, lease, owed_emails
from patients.reminders import tasks
from patients.reminders.services import (
    CATCH_UP,
    deliver_due_reminders,
    deliver_reminder,
    due_reminder_ids,
    nudge_batch,
    plan_reminders,
    send_reminder_emails,
)
from tests import factories

pytestmark = pytest.mark.django_db

AT_0805 = datetime(2026, 11, 5, 8, 5, tzinfo=UTC)  # 08:05 in London (GMT)


def _clinic(count: int) -> None:
    """`count` patients, each with three reminders due at 08:05 (heat, check-in, session 1)."""
    for _ in range(count):
        factories.prescribe(factories.PatientFactory(), started_on=date(2026, 11, 2))
    plan_reminders(now=AT_0805 - timedelta(hours=8))


def _due() -> Any:
    """The reminders due at 08:05 (yesterday's are past the catch-up window)."""
    return Reminder.objects.filter(local_date=AT_0805.date(), due_at__lte=AT_0805)


def _reminder_notifications() -> int:
    return Notification.objects.filter(kind__startswith="reminder:").count()


def test_batches_take_the_earliest_due_and_never_the_same_reminder_twice() -> None:
    _clinic(3)
    first = deliver_due_reminders(now=AT_0805, limit=5)
    second = deliver_due_reminders(now=AT_0805, limit=5)
    assert (first.sent, second.sent) == (5, 4)  # the second batch gets only the rest
    assert deliver_due_reminders(now=AT_0805).sent == 0
    assert _reminder_notifications() == 9
    assert due_reminder_ids(now=AT_0805) == []  # nothing left for the next sweep to start
    assert set(_due().values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_whole_batch_runs_outside_any_transaction_as_a_worker_runs_it(
    loaded_catalogue: None,
) -> None:
    """A worker calls these in autocommit mode, not inside a test's transaction (on
    PostgreSQL, FOR UPDATE outside a transaction is an error)."""
    _clinic(1)
    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.sent == 3
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 3


def test_a_batch_delivered_twice_sends_each_reminder_once() -> None:
    _clinic(2)
    ids = list(_due().values_list("pk", flat=True))
    first = deliver_due_reminders(now=AT_0805, ids=ids)
    again = deliver_due_reminders(now=AT_0805, ids=ids)  # Redis delivered the task twice
    assert (first.sent, first.skipped, first.emails) == (6, 0, 6)
    assert (again.sent, again.skipped) == (0, 0)
    assert _reminder_notifications() == 6
    assert set(_due().values_list("status", flat=True)) == {"sent"}


def test_a_batch_that_fails_midway_leaves_every_reminder_due_for_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that dies mid-batch commits nothing; its rows are due again at once."""
    _clinic(2)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed mid-batch")

    with monkeypatch.context() as patch:
        patch.setattr(Notification.objects, "bulk_create", broken)
        with pytest.raises(RuntimeError):
            deliver_due_reminders(now=AT_0805)
    assert _reminder_notifications() == 0
    assert len(due_reminder_ids(now=AT_0805)) == 6
    assert deliver_due_reminders(now=AT_0805).sent == 6
    assert _reminder_notifications() == 6


def test_a_batch_costs_the_same_queries_for_1_or_15_patients() -> None:
    def queries(count: int) -> int:
        Reminder.objects.all().delete()
        _clinic(count)
        with CaptureQueriesContext(connection) as captured:
            assert deliver_due_reminders(now=AT_0805).sent == 3 * count
        return len(captured)

    # 15 patients' 45 notifications fit one INSERT on SQLite too (Django 5.2 caps a SQLite
    # statement at 999 parameters, so more rows are split); PostgreSQL has no such cap.
    assert queries(1) == queries(15)


def test_a_batch_skips_what_is_no_longer_wanted_and_sends_the_rest() -> None:
    _clinic(2)
    ended = Reminder.objects.filter(kind="session").first()
    assert ended is not None
    type(ended.patient.programmes.get()).objects.filter(patient=ended.patient).update(
        status="ended"
    )
    delivered = deliver_due_reminders(now=AT_0805)
    assert (delivered.sent, delivered.skipped) == (3, 3)
    assert set(_due().filter(patient=ended.patient).values_list("status", flat=True)) == {"skipped"}


def test_a_session_counts_as_done_only_for_its_own_patient_on_the_reminder_s_own_day() -> None:
    """One batch, patients on different local dates (time zones): a session reminder is
    skipped for a session its own patient logged on the reminder's own date, never for one
    logged on another date of the batch. (The rule; what the lookup costs is measured in
    bench/README.md.)"""
    _clinic(3)
    day = AT_0805.date()
    sessions = list(_due().filter(kind="session").select_related("patient"))
    first, second, third = (r.patient for r in sessions)
    # The second patient's reminders fall on the day before (a zone west of London).
    Reminder.objects.filter(patient=second).exclude(local_date=day).delete()
    Reminder.objects.filter(patient=second).update(local_date=day - timedelta(days=1))

    def log(patient: Any, on: date) -> None:
        SessionLog.objects.create(
            patient=patient,
            programme=patient.programmes.get(),
            client_uuid=uuid.uuid4(),
            local_date=on,
            slot=1,
            logged_at=AT_0805,
        )

    log(first, day - timedelta(days=1))  # the second's date, not the first's
    log(second, day)  # the first's date, not the second's
    log(third, day)  # its own: done
    assert deliver_due_reminders(now=AT_0805).skipped == 1
    statuses = dict(
        Reminder.objects.filter(pk__in=[r.pk for r in sessions]).values_list("patient", "status")
    )
    assert statuses == {first.pk: "sent", second.pk: "sent", third.pk: "skipped"}


def test_e_mail_copies_go_over_one_connection_with_a_message_id_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clinic(3)
    opened: list[None] = []
    backend = type(mail.get_connection())
    real_open = backend.open
    monkeypatch.setattr(backend, "open", lambda self: opened.append(None) or real_open(self))
    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.emails == 9
    assert mail.outbox == []  # the in-app notifications commit first; e-mail is the outbox's
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 9
    assert len(opened) == 1
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert ids == {f"<notification-{n.pk}@localhost>" for n in Notification.objects.all()}
    # Each sent once: the batch run again (Redis delivered its task twice), the sweep's own.
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 0
    assert send_reminder_emails(now=AT_0805 + lease() * 2) == 0
    assert len(mail.outbox) == 9


def test_an_e_mail_batch_reads_its_messages_by_id_whatever_the_notifications_before() -> None:
    """The outbox finds the copies a batch holds by their ids (the primary key's index),
    whether held by the delivery or claimed later: by the batch's token alone, which no index
    holds, each batch read every notification ever made."""
    _clinic(3)
    held = deliver_due_reminders(now=AT_0805, limit=6).email_batch
    deliver_due_reminders(now=AT_0805)  # the rest, its task lost: claimed once the lease is over
    with CaptureQueriesContext(connection) as captured:
        assert send_reminder_emails(now=AT_0805, held=held) == 6
        assert send_reminder_emails(now=AT_0805 + lease() * 2) == 3
    reads = [q["sql"] for q in captured if '"email_claim" =' in q["sql"]]
    assert len(reads) >= 2
    assert all('"patients_notification"."id" IN (' in sql for sql in reads)


def test_the_delivery_task_hands_its_e_mail_batch_to_the_task_it_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The e-mail task is told which copies are its own (through the broker, as JSON) and
    sends them at once; without them it would find them held and wait for the lease."""
    _clinic(1)

    def through_the_broker(*args: Any) -> None:
        tasks.send_reminder_emails_task.apply(args=json.loads(json.dumps(args))).get()

    monkeypatch.setattr(tasks.send_reminder_emails_task, "delay", through_the_broker)
    with time_machine.travel(AT_0805, tick=False):
        tasks.deliver_reminders_task.apply().get()
    assert len(mail.outbox) == 3
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").exists()


def test_a_batch_s_message_run_twice_at_once_sends_each_e_mail_once() -> None:
    """The broker may deliver the e-mail task's message twice at the same time (after a lost
    connection): both runs hold the same token, so only one of them sends."""
    _clinic(1)
    delivered = deliver_due_reminders(now=AT_0805)
    assert delivered.email_batch is not None
    with EMAILS.alone(delivered.email_batch) as first:  # the other run, still sending
        assert first
        assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 0
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 3
    assert len(mail.outbox) == 3


def test_a_batch_stops_sending_before_its_hold_is_over_and_leaves_the_rest_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mail server slow enough to outlast the lease: the batch stops sending while it still
    holds the copies, so the batch that claims the rest afterwards never sends one of them at
    the same time; each copy goes once."""
    _clinic(1)
    delivered = deliver_due_reminders(now=AT_0805)
    backend = type(mail.get_connection())
    real_send = backend.send_messages
    clock = [0.0]
    monkeypatch.setattr(notification_services, "_clock", lambda: clock[0])

    def slow(self: Any, messages: Any) -> int:
        clock[0] += lease().total_seconds() * 0.95  # one message took nearly the whole lease
        return real_send(self, messages)

    monkeypatch.setattr(backend, "send_messages", slow)
    assert send_reminder_emails(now=AT_0805, held=delivered.email_batch) == 1
    assert send_reminder_emails(now=AT_0805 + lease() / 2) == 0  # still held
    later = AT_0805 + lease() + timedelta(seconds=1)
    monkeypatch.setattr(backend, "send_messages", real_send)
    assert send_reminder_emails(now=later) == 2
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == len(mail.outbox) == 3


def test_a_delivery_holds_its_e_mails_for_its_own_batch_and_a_lost_task_costs_only_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The delivery claims its e-mail copies as it makes the notifications, for the task it
    starts: the per-minute sweep starts no batch for them meanwhile. If that task is lost,
    the copies are owed again once the lease is over and go out once; the lost task, run
    after all, sends nothing."""
    _clinic(1)
    started: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.send_reminder_emails_task, "delay", lambda *a: started.append(a))
    with time_machine.travel(AT_0805, tick=False):
        tasks.deliver_reminders_task.apply().get()
    assert len(started) == 1  # one batch task, told which copies are its own
    assert owed_emails(now=AT_0805, since=AT_0805 - CATCH_UP).count() == 0
    assert send_reminder_emails(now=AT_0805) == 0  # another batch finds nothing to take
    later = AT_0805 + lease() + timedelta(seconds=1)
    assert send_reminder_emails(now=later) == 3
    with time_machine.travel(later, tick=False):
        tasks.send_reminder_emails_task.apply(args=started[0]).get()
    assert len(mail.outbox) == 3
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3


def test_a_held_batch_run_late_holds_its_e_mails_for_a_whole_lease_from_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch task that waited in the queue behind a wave's deliveries holds its copies for
    a whole lease from when it runs, so no batch takes them while it sends."""
    _clinic(1)
    delivered = deliver_due_reminders(now=AT_0805)
    backend = type(mail.get_connection())
    real_send = backend.send_messages
    late = AT_0805 + lease() * 0.75
    after_first_lease = AT_0805 + lease() + timedelta(seconds=1)
    taken_meanwhile: list[int] = []

    def slow(self: Any, messages: Any) -> int:
        # A second worker's batch, as this one sends: once the first lease would be over.
        taken_meanwhile.append(send_reminder_emails(now=after_first_lease))
        return real_send(self, messages)

    monkeypatch.setattr(backend, "send_messages", slow)
    assert send_reminder_emails(now=late, held=delivered.email_batch) == 3
    assert taken_meanwhile == [0, 0, 0]
    assert len(mail.outbox) == 3


def test_a_mail_server_failure_keeps_the_reminder_sent_and_the_e_mail_owed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before batches, the e-mail was sent inside the delivery transaction: a failing mail
    server rolled back the reminder, and its retry could e-mail twice."""
    _clinic(1)
    reminder = _due().get(kind="session")
    backend = type(mail.get_connection())
    real_send = backend.send_messages
    calls: list[int] = []

    def flaky(self: Any, messages: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(self, messages)

    monkeypatch.setattr(backend, "send_messages", flaky)
    delivered = deliver_due_reminders(now=AT_0805)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_reminder_emails(now=AT_0805, held=delivered.email_batch)
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert _reminder_notifications() == 3
    assert len(mail.outbox) == 1  # the first was accepted (and marked) before the failure
    # The failed batch holds the other two until its lease is over; then they go, once.
    assert send_reminder_emails(now=AT_0805) == 0
    later = AT_0805 + lease() + timedelta(seconds=1)
    assert send_reminder_emails(now=later) == 2
    assert len(mail.outbox) == 3
    assert len({m.to[0] for m in mail.outbox}) == 1
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3


def test_deliver_reminder_by_id_still_sends_the_in_app_notice_and_the_e_mail() -> None:
    """A message queued before batches (`send_reminder_task`) is honoured."""
    _clinic(1)
    reminder = _due().get(kind="session")
    assert deliver_reminder(reminder_id=str(reminder.pk), now=AT_0805) is True
    assert deliver_reminder(reminder_id=str(reminder.pk), now=AT_0805) is False
    assert [m.subject for m in mail.outbox] == ["Time for your exercises"]
    assert _due().filter(status="pending").count() == 2


def _sent_two_hours_ago(count: int) -> datetime:
    """`count` patients whose 08:00 reminders went out at 08:05; returns two hours on."""
    _clinic(count)
    deliver_due_reminders(now=AT_0805)
    return AT_0805 + timedelta(minutes=121)


def test_nudges_go_in_batches_once_each_for_the_sessions_still_not_logged() -> None:
    later = _sent_two_hours_ago(3)
    assert nudge_batch(now=later, limit=2) == 2
    assert nudge_batch(now=later, limit=2) == 1  # only the one left
    assert nudge_batch(now=later) == 0
    assert Notification.objects.filter(kind="reminder:nudge").count() == 3


def test_a_nudge_batch_costs_the_same_queries_for_1_or_20_patients() -> None:
    def queries(count: int) -> int:
        Reminder.objects.all().delete()
        later = _sent_two_hours_ago(count)
        with CaptureQueriesContext(connection) as captured:
            assert nudge_batch(now=later) == count
        return len(captured)

    # 15 patients' 45 notifications fit one INSERT on SQLite too (Django 5.2 caps a SQLite
    # statement at 999 parameters, so more rows are split); PostgreSQL has no such cap.
    assert queries(1) == queries(15)
