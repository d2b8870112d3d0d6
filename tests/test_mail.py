"""Many e-mails over one connection (rehab/mail.py), against a real SMTP server (aiosmtpd, in
this process): each arrives as Django's SMTP backend would send it, each is confirmed to the
caller before the next one's content leaves, and with PIPELINING a message costs one write
instead of four (issue 14)."""

from __future__ import annotations

import io
import smtplib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.message import sanitize_address
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.smtp_sink import Sink, free_port
from rehab import mail as rehab_mail
from rehab.mail import send_each


class Server(Sink):
    """What a mail server took: each message's envelope and content, in order. Offers
    PIPELINING when asked to (as bench/smtp_sink.py's server, whose EHLO it keeps), and
    refuses the recipients in `refuse`."""

    def __init__(self, pipelining: bool) -> None:
        super().__init__(io.StringIO(), pipelining)
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.confirmed: list[Any] = []  # the test's list of confirmed keys, if it keeps one
        self.confirmed_on_arrival: list[int] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.confirmed_on_arrival.append(len(self.confirmed))
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    handler = Server(pipelining=request.param)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            DEFAULT_FROM_EMAIL="Rehab clinic <rehab@clinic.example>",
        ):
            yield handler
    finally:
        controller.stop()


def messages(n: int, **overrides: Any) -> list[tuple[int, EmailMessage]]:
    bodies = ["Your session is due.", ".A line that starts with a dot\nFrom the clinic.\n.\n"]
    return [
        (
            i,
            EmailMessage(
                overrides.get("subject", f"Reminder {i}"),
                bodies[i % 2],
                None,
                [overrides.get("to", f"patient-{i}@example.org")],
                # As the outbox writes them, with a domain long enough to fold the header.
                headers={"Message-ID": f"<notification-{uuid.UUID(int=i)}@rehab.clinic.example>"},
            ),
        )
        for i in range(n)
    ]


def test_every_message_arrives_as_djangos_smtp_backend_sends_it(server: Server) -> None:
    sent = messages(6)
    accepted: list[int] = []
    with time_machine.travel("2026-12-06 08:00:00+00:00", tick=False), get_connection() as mail:
        assert send_each(mail, iter(sent), accepted.append) == 6
        # What Django's backend hands smtplib, which ends it with a line break if it has none.
        expected = [
            message.message().as_bytes(linesep="\r\n").removesuffix(b"\r\n") + b"\r\n"
            for _, message in sent
        ]
    assert accepted == [0, 1, 2, 3, 4, 5]
    assert [content for _, _, content in server.received] == expected
    assert [(sender, recipients) for sender, recipients, _ in server.received] == [
        ("rehab@clinic.example", [f"patient-{i}@example.org"]) for i in range(6)
    ]
    # The lines that start with a dot were doubled on the way and undone on arrival.
    assert b"\r\n.A line that starts with a dot\r\nFrom the clinic.\r\n.\r\n" in expected[1]


def test_each_message_is_confirmed_before_the_next_ones_content_leaves(server: Server) -> None:
    with get_connection() as connection:
        send_each(connection, messages(5), server.confirmed.append)
    assert server.confirmed == [0, 1, 2, 3, 4]
    # When message k reached the server, the k before it had been confirmed.
    assert server.confirmed_on_arrival == [0, 1, 2, 3, 4]


def test_a_message_that_cannot_be_made_stops_the_batch_after_confirming_the_one_sent(
    server: Server,
) -> None:
    batch = messages(4)
    batch[2][1].subject = "Two\nlines"  # a header with a line break: Django refuses it
    accepted: list[int] = []
    with get_connection() as connection:
        with pytest.raises(BadHeaderError):
            send_each(connection, batch, accepted.append)
        # Dropped, not closed with QUIT: a server waiting for a message's content would not
        # answer it.
        assert connection.connection is None
    if server.pipelining:  # message 1's envelope went out with message 0; its content did not
        assert accepted == [0]
    else:
        assert accepted == [0, 1]
    assert len(server.received) == len(accepted)


def test_an_html_message_is_built_whole(server: Server) -> None:
    batch = messages(3)
    for _, message in batch:
        message.content_subtype = "html"
    with get_connection() as connection:
        send_each(connection, batch, lambda key: None)
    assert all(b"Content-Type: text/html" in content for _, _, content in server.received)


def test_with_pipelining_a_message_costs_one_write(server: Server) -> None:
    writes: list[bytes | str] = []
    with get_connection() as connection:
        real = connection.connection.send

        def send(data: bytes | str) -> None:
            writes.append(data)
            real(data)

        connection.connection.send = send
        send_each(connection, messages(10), lambda key: None)
    # Leaving out the greeting and the goodbye (smtplib writes its own commands as text).
    said = [w.decode() if isinstance(w, bytes) else w for w in writes]
    said = [text for text in said if text[:4].lower() not in ("ehlo", "quit")]
    if server.pipelining:
        # Each message's content goes with the next one's envelope: 10 messages, 11 writes.
        assert len(said) == 11
        assert said[1].startswith("Content-Type:")  # said[0]: the first envelope
        assert "\r\nMAIL FROM:" in said[1]
    else:
        assert len(said) == 40  # MAIL, RCPT, DATA and the content, one by one


def test_a_refused_recipient_stops_the_batch_the_messages_before_it_confirmed(
    server: Server,
) -> None:
    server.refuse = {"patient-2@example.org"}
    accepted: list[int] = []
    with get_connection() as connection, pytest.raises(smtplib.SMTPRecipientsRefused):
        send_each(connection, messages(5), accepted.append)
    assert accepted == [0, 1]
    assert [recipients for _, recipients, _ in server.received] == [
        ["patient-0@example.org"],
        ["patient-1@example.org"],
    ]


def test_a_message_without_recipients_is_skipped_not_confirmed(server: Server) -> None:
    batch = messages(3)
    batch[1][1].to = []
    accepted: list[int] = []
    with get_connection() as connection:
        assert send_each(connection, batch, accepted.append) == 2
    assert accepted == [0, 2]


def test_any_other_backend_sends_each_through_its_own_send_messages() -> None:
    from django.core import mail

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        accepted: list[int] = []
        with get_connection() as connection:
            assert send_each(connection, messages(3), accepted.append) == 3
    assert accepted == [0, 1, 2]
    assert [m.to for m in mail.outbox] == [[f"patient-{i}@example.org"] for i in range(3)]


# The parts of a reminder e-mail that vary: plain and non-ASCII subjects and bodies, long
# subject lines (folded), and the recipients the swap takes or leaves to Django.
texts = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=120)
addresses = st.emails() | st.from_regex(r"[a-z.+]{1,70}@[a-z]{1,10}\.(org|example)", fullmatch=True)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    subject=texts,
    body=texts,
    to=addresses,
    sender=st.sampled_from(["a@b.org", "Ré <r@é.fr>"]),
    domain=st.sampled_from(["b.org", "rehab.clinic.example", "msk-service.example.nhs.uk"]),
)
def test_a_message_made_from_its_kinds_content_is_the_one_django_builds(
    subject: str, body: str, to: str, sender: str, domain: str
) -> None:
    def build() -> EmailMessage:
        headers = {"Message-ID": f"<notification-{uuid.uuid4()}@{domain}>"}
        return EmailMessage(subject, body, sender, [to], headers=headers)

    with time_machine.travel("2026-12-06 08:00:00+00:00", tick=False):  # one Date for both
        contents = rehab_mail._Contents()
        contents.of(build())  # the first of its kind
        second = build()
        assert contents.of(second) == rehab_mail._built(second)
    kind = rehab_mail._kind(second)
    if kind is not None and len(to) <= 64 and "swap.invalid" not in subject + body:
        assert contents.templates[kind] is not None  # made from the first, not built again


@settings(deadline=None)
@given(address=addresses | st.text(max_size=40))
@example(address="=?utf-8?q?abc?=@example.com")  # an encoded word, which sanitize decodes
@example(address="=?utf-8?q?a=0Ab?=@example.com")  # and refuses, a line break inside
@example(address="first.last+tag@example.org")
def test_an_address_taken_as_it_is_is_one_sanitize_address_leaves_unchanged(
    address: str,
) -> None:
    try:
        taken = rehab_mail._envelope_address(address, "utf-8")
    except ValueError:
        return  # refused, as Django's SMTP backend refuses it
    if taken is address:  # taken as it is, without sanitize_address
        assert sanitize_address(address, "utf-8") == address


def test_a_plain_address_is_taken_as_it_is() -> None:
    address = "first.last+tag@example.org"
    assert rehab_mail._envelope_address(address, "utf-8") is address
