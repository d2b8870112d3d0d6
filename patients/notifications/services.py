"""The one way to tell someone something: an in-app notification for each user and, where
wanted, one e-mail to those with an address. Callers own the transaction, so a notification
and the state change that caused it commit together."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from itertools import takewhile
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import connection, transaction
from django.db.models import DateTimeField, Q, QuerySet

from patients.models import (
    Flag,
    Notification,
)
from rehab import prepared
from rehab.mail import send_each
from rehab.retention import Pruned, delete_made_before

# E-mails sent over one SMTP connection by one outbox batch.
EMAIL_BATCH = 250
# The batch's own clock for when to stop sending (a test moves it on).
_clock = time.monotonic
# Web pushes sent by one outbox batch (over one HTTP session per push service); the mobile
# apps' pushes likewise.
PUSH_BATCH = 250


def notify(
    users: Sequence[Any],
    *,
    kind: str,
    title: str,
    body: str,
    email_body: str | None = None,
    email: bool = True,
    flag: Flag | None = None,
) -> None:
    """`email_body` replaces `body` in the e-mail (e.g. with the sources a clinician reads);
    `email=False` keeps it in the app (a nudge, or a patient who turned e-mail off); `flag` is
    the flag it is about, which the bell links to and shows the status of."""
    for user in users:
        Notification.objects.create(user=user, kind=kind, title=title, body=body, flag=flag)
    recipients = [a for user in users if (a := email_address(user.email, wanted=email))]
    if recipients:
        send_mail(title, email_body if email_body is not None else body, None, recipients)


def lease() -> timedelta:
    """How long a delivery batch holds what it claimed before another worker may take it."""
    return timedelta(seconds=settings.REHAB_DELIVERY_LEASE_SECONDS)


def email_address(address: str, *, wanted: bool) -> str:
    """Where a notification's e-mail copy goes: the user's address if they have one and the
    e-mail is wanted, otherwise nowhere (the one rule for notify and the outbox)."""
    return address if wanted and address else ""


@dataclass(frozen=True)
class Held:
    """Copies an outbox batch took as their notifications were made (`Outbox.hold`): the
    batch's token and the notifications' ids, for the task that sends them."""

    token: uuid.UUID
    ids: tuple[Any, ...]

    @property
    def batch_id(self) -> str:
        """The batch as one id for a task's message (ids only, as every task takes): the token,
        then the notifications' ids."""
        return " ".join(str(value) for value in (self.token, *self.ids))

    @classmethod
    def from_batch_id(cls, batch_id: str) -> Held:
        token, *ids = (uuid.UUID(value) for value in batch_id.split())
        return cls(token, tuple(ids))


@dataclass(frozen=True)
class Outbox:
    """A channel's copies owed for notifications (e-mail, web push, mobile push), kept on the
    notification: which are wanted, when each went out, and the batch holding it. Each
    channel is claimed apart (by compare-and-set with a lease; e-mail copies of reminders also
    when their notifications are made, `hold`), so each copy goes out once whichever other
    channel fails."""

    wanted: Q
    done: str  # when the copy went out
    claim: str  # the batch holding it
    until: str  # and until when
    batch: int

    def owed(self, *, now: datetime, since: datetime) -> QuerySet[Notification]:
        """Copies not yet out, created after `since` and held by no live batch (never
        claimed, or their batch's lease is over)."""
        return Notification.objects.filter(
            self.wanted, created_at__gt=since, **{f"{self.done}__isnull": True}
        ).filter(Q(**{f"{self.until}__isnull": True}) | Q(**{f"{self.until}__lte": now}))

    def claim_batch(
        self, *, token: uuid.UUID, now: datetime, since: datetime
    ) -> QuerySet[Notification]:
        """Compare-and-set: give up to `batch` owed copies to batch `token`, and return them
        (empty when nothing is owed). The outer condition is checked again on each row as it
        is updated, so of two racing batches only one gets a row; on PostgreSQL SKIP LOCKED
        lets the second take other rows instead of waiting."""
        owed = self.owed(now=now, since=since)
        with transaction.atomic():
            # Locked first (SKIP LOCKED), then updated by id.
            batch = list(
                owed.order_by("created_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: self.batch]
            )
            if batch:
                owed.filter(pk__in=batch).update(**{self.claim: token, self.until: now + lease()})
        return self.claimed(token, batch)

    def hold(self, notes: list[Notification], *, now: datetime) -> Held | None:
        """Claim the copies of notifications about to be made (unsaved, each with a copy
        owed), for one batch that the caller starts next: written with the notifications,
        the claim costs no statement and no second write of each row (at the 100,000-patient
        peak the claim and the read back were a third of PostgreSQL's work per e-mail, issue
        14). Until the lease is over no other batch takes them; if the batch's task is
        lost, the outbox then claims them as any copies owed."""
        if not notes:
            return None
        token, until = uuid.uuid4(), now + lease()
        for note in notes:
            setattr(note, self.claim, token)
            setattr(note, self.until, until)
        return Held(token, tuple(note.pk for note in notes))

    def held(self, held: Held, *, now: datetime) -> QuerySet[Notification]:
        """The copies of `held` still owed and still this batch's, held for a whole lease
        from `now` if less than half of it was left (the task may have waited in the queue
        behind a wave's deliveries): compare-and-set on the token, so copies another batch
        took once the lease was over stay with that batch."""
        claimed = self.claimed(held.token, list(held.ids))
        claimed.filter(**{f"{self.until}__lt": now + lease() / 2}).update(
            **{self.until: now + lease()}
        )
        return claimed

    @contextlib.contextmanager
    def alone(self, held: Held) -> Iterator[bool]:
        """Whether this is the only run of batch `held` now. The broker may deliver a task's
        message twice at once (a redelivery after a lost connection), and both runs would hold
        the same token: a key in Django's cache (Redis in production, shared by every worker)
        marks the batch as running while it sends, or for a lease if the worker dies."""
        key = f"outbox:{self.claim}:{held.token}"
        mine = django_cache.add(key, 1, timeout=lease().total_seconds())
        try:
            yield mine
        finally:
            if mine:
                django_cache.delete(key)

    def claimed(self, token: uuid.UUID, ids: list[Any]) -> QuerySet[Notification]:
        """Batch `token`'s copies still to send, found by their ids. By the token alone no
        index finds them: PostgreSQL read every notification ever made for each batch, 172,000
        rows at the 08:00 peak of a 100,000-patient clinic and more every day (issue 14)."""
        return Notification.objects.filter(
            pk__in=ids, **{self.claim: token, f"{self.done}__isnull": True}
        ).order_by("created_at")

    def mark_done(self, pk: Any, now: datetime) -> None:
        with self.marks(now) as mark:
            mark(pk)

    @contextlib.contextmanager
    def marks(self, now: datetime) -> Iterator[Callable[[Any], None]]:
        """`mark(pk)` for copies that went out `now`: each marked at once, in one statement
        (autocommit), so the window in which a kill would send a copy again is that one round
        trip. One cursor and one plain UPDATE for a whole batch, the time and each id going
        through their fields, as each database stores them: building the same UPDATE through
        the ORM for every copy was a third of the worker's time per e-mail (issue 14).
        (Notifications are not in the audit trail, `AUDITED_MODELS`: no entry is skipped.)"""
        field = Notification._meta.get_field(self.done)
        assert isinstance(field, DateTimeField)  # emailed_at, pushed_at, mobile_pushed_at
        at = field.get_db_prep_value(now, connection)
        id_value = partial(Notification._meta.pk.get_db_prep_value, connection=connection)
        with prepared.statement(_mark_sql(field.column, connection.vendor)) as run:

            def mark(pk: Any) -> None:
                run([at, id_value(pk)])

            yield mark


@cache
def _mark_sql(column: str, vendor: str) -> str:
    """Outbox.mark_done's statement, for a column and database (the vendor keeps the quoting
    of one database from being used on another)."""
    quote = connection.ops.quote_name
    table, id_column = Notification._meta.db_table, Notification._meta.pk.column
    return f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(id_column)} = %s"


EMAILS = Outbox(
    wanted=~Q(email_to=""),
    done="emailed_at",
    claim="email_claim",
    until="email_claimed_until",
    batch=EMAIL_BATCH,
)
PUSHES = Outbox(
    wanted=Q(push_wanted=True),
    done="pushed_at",
    claim="push_claim",
    until="push_claimed_until",
    batch=PUSH_BATCH,
)
MOBILE_PUSHES = Outbox(
    wanted=Q(mobile_wanted=True),
    done="mobile_pushed_at",
    claim="mobile_claim",
    until="mobile_claimed_until",
    batch=PUSH_BATCH,
)


def owed_emails(*, now: datetime, since: datetime) -> QuerySet[Notification]:
    return EMAILS.owed(now=now, since=since)


def claim_emails(
    *, now: datetime, since: datetime, held: Held | None = None
) -> QuerySet[Notification]:
    """A batch of owed e-mail copies: `held` (taken as their notifications were made), or
    up to EMAIL_BATCH of those owed since `since`, claimed now."""
    if held is not None:
        return EMAILS.held(held, now=now)
    return EMAILS.claim_batch(token=uuid.uuid4(), now=now, since=since)


def send_claimed_emails(claimed: QuerySet[Notification], *, now: datetime) -> int:
    """Send a claimed batch's e-mails (`claim_emails`) over one SMTP connection; each is
    marked sent as soon as the server accepts it, so a worker killed mid-batch leaves at most
    the one message in flight to be sent again (with the same Message-ID, by which a mail
    system can tell it is the same message). Returns how many the server accepted.

    Only while the batch holds its copies, less a tenth of the lease (12 s of the default 120;
    other workers' clocks may differ a little): a slow mail server may outlast the lease, and
    then another batch may claim what is left, so the copies not sent by then are left to it
    rather than sent by both."""
    batch = list(claimed.values_list("pk", "title", "body", "email_to", EMAILS.until))
    if not batch:
        return 0
    held_for = min(until for *_, until in batch) - now - lease() / 10
    stop_at = _clock() + held_for.total_seconds()
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    made = (
        (
            pk,
            EmailMessage(
                title,
                body,
                None,
                [email_to],
                headers={"Message-ID": f"<notification-{pk}@{domain}>"},
            ),
        )
        for pk, title, body, email_to, _ in batch
    )
    # Each made and sent only while the batch still holds its copies.
    messages = takewhile(lambda _: _clock() < stop_at, made)
    with get_connection() as mail, marks_without_waiting_for_disk(), EMAILS.marks(now) as mark:
        # Each marked as soon as the server has it, before the next one's content goes.
        return send_each(mail, messages, mark)


@contextlib.contextmanager
def marks_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, commits here do not wait for the disk (synchronous_commit off): only a
    crash of the database server itself could lose a mark, and then the e-mail is sent again
    rather than lost. Set for this connection while the batch runs, then reset."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def mark_notifications_read(*, user: Any, ids: list[uuid.UUID] | None, now: datetime) -> int:
    """Mark the user's own notifications read (all unread when `ids` is None); returns how
    many changed. Another user's ids are ignored, never an error that confirms them."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=now)


def mark_flag_notifications_read(*, flag: Flag, user: Any, now: datetime) -> int:
    """A clinician who acts on a flag (acknowledges or resolves it) has dealt with the
    notifications that told them of it: theirs about that flag are read. Others' (a clinic
    admin's escalation) stay as they are."""
    return Notification.objects.filter(flag=flag, user=user, read_at__isnull=True).update(
        read_at=now
    )


def prune_notifications(*, now: datetime, budget: timedelta | None = None) -> Pruned:
    """Delete the notifications made more than REHAB_MESSAGE_RETENTION_DAYS ago, read or not,
    except those about a flag not yet resolved (open or acknowledged): the bell keeps linking
    to it however old (the safer choice). Their e-mail and push copies were long since sent or
    given up (CATCH_UP)."""
    before = now - timedelta(days=settings.REHAB_MESSAGE_RETENTION_DAYS)
    return delete_made_before(
        Notification.objects.all(),
        before=before,
        now=now,
        budget=budget,
        reads=("flag_id",),
        spare=_about_open_flags,
    )


def _about_open_flags(rows: list[tuple[uuid.UUID, uuid.UUID | None]]) -> set[uuid.UUID]:
    """Which of these notifications (key, flag) are about a flag not yet resolved: the flags
    read by their keys, only when a chunk has any (nearly every notification is a reminder)."""
    flags = {flag_id for _, flag_id in rows if flag_id is not None}
    if not flags:
        return set()
    unresolved = set(
        Flag.objects.filter(pk__in=flags)
        .exclude(status=Flag.Status.RESOLVED)
        .values_list("pk", flat=True)
    )
    return {pk for pk, flag_id in rows if flag_id in unresolved}
