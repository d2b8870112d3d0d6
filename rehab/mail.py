"""Many e-mails over one open mail connection, each confirmed to the caller before the next
one's content leaves (`send_each`).

Over SMTP, a message costs four round trips to the server one after another (MAIL FROM, RCPT
TO, DATA, then the content), and a batch of reminders is as many messages. Where the server
offers PIPELINING (RFC 2920; Postfix, Exim and Exchange all do), `send_each` writes a message's
content and the next message's envelope together: one round trip a message. What it never
does is send a message's content before the caller has been told the one before was taken,
so a worker killed mid-batch has at most one message in flight, as before (issue 14)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

K = TypeVar("K")


def send_each(
    mail: BaseEmailBackend,
    messages: Iterable[tuple[K, EmailMessage]],
    accepted: Callable[[K], None],
) -> int:
    """Send `messages` (each with a key of the caller's) over `mail`, an open connection
    (`with get_connection() as mail`), and call `accepted(key)` as soon as the server has taken
    a message, before the next one goes. Returns how many were taken.

    Fails as `EmailMessage.send` does (an SMTPException, or a ValueError for a message that
    cannot be made), the messages taken before it confirmed; the rest of the batch is not sent.
    With fail_silently an SMTPException ends the batch quietly instead. After a failure while
    pipelining, the connection is dropped (closed without QUIT: the server may be mid-message)."""
    if not isinstance(mail, SMTPBackend) or mail.connection is None:
        return _one_by_one(mail, messages, accepted)
    smtp = mail.connection
    sent = 0

    def confirm(key: K) -> None:
        nonlocal sent
        accepted(key)
        sent += 1

    try:
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("pipelining"):
            return _one_by_one(mail, messages, accepted)
        _pipelined(smtp, messages, confirm)
    except smtplib.SMTPException:
        _drop(mail)
        if not mail.fail_silently:
            raise
    except BaseException:
        _drop(mail)
        raise
    return sent


def _drop(mail: SMTPBackend) -> None:
    """Close the connection without a goodbye (Django's close() would send QUIT and wait for
    an answer a server in the middle of a message does not give), and forget it."""
    if mail.connection is not None:
        mail.connection.close()
        mail.connection = None


def _one_by_one(
    mail: BaseEmailBackend,
    messages: Iterable[tuple[K, EmailMessage]],
    accepted: Callable[[K], None],
) -> int:
    """Any backend (the console, memory, an SMTP server without PIPELINING): each message
    through the backend's own `send_messages`."""
    sent = 0
    for key, message in messages:
        if mail.send_messages([message]):
            accepted(key)
            sent += 1
    return sent


class _Envelope(Generic[K]):
    """A message as SMTP sends it: the envelope's commands, and the content to follow once the
    server has answered DATA with 354."""

    def __init__(
        self, smtp: smtplib.SMTP, key: K, message: EmailMessage, contents: _Contents
    ) -> None:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = _envelope_address(message.from_email, encoding)
        self.recipients = [_envelope_address(address, encoding) for address in message.recipients()]
        content = contents.of(message)
        size = f" SIZE={len(content)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
        commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}"]
        commands += [f"RCPT TO:{smtplib.quoteaddr(address)}" for address in self.recipients]
        commands.append("DATA")
        # As smtplib.SMTP.putcmd writes them (ASCII: sanitize_address encodes the rest).
        self.commands = "".join(f"{command}\r\n" for command in commands).encode("ascii")
        self.key, self.message = key, message
        self.content = _terminated(content)

    def read_replies(self, smtp: smtplib.SMTP) -> None:
        """The server's answers to the envelope, in order: raises, as smtplib.SMTP.sendmail
        would, unless the server is ready for the content."""
        replies = [smtp.getreply() for _ in range(len(self.recipients) + 2)]
        (mail_code, mail_reply), data = replies[0], replies[-1]
        refused = {
            address: reply
            for address, reply in zip(self.recipients, replies[1:-1], strict=True)
            if reply[0] not in (250, 251)
        }
        # On any of these, send_each drops the connection (the server may wait for content).
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, self.message.from_email)
        if len(refused) == len(self.recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        if data[0] != 354:
            raise smtplib.SMTPDataError(*data)


def _pipelined(
    smtp: smtplib.SMTP, messages: Iterable[tuple[K, EmailMessage]], accepted: Callable[[K], None]
) -> None:
    """One write a message: the content of the message the server is waiting for, then the
    next message's envelope; then the content's answer (the message is confirmed to the caller
    before anything else is read or sent), then the envelope's."""
    contents = _Contents()
    envelopes = (
        _Envelope(smtp, key, message, contents) for key, message in messages if message.recipients()
    )
    waiting: _Envelope[K] | None = None  # the server has answered its DATA with 354
    following = next(envelopes, None)
    while waiting is not None or following is not None:
        smtp.send(
            (waiting.content if waiting else b"") + (following.commands if following else b"")
        )
        try:
            after = next(envelopes, None)  # made while the server reads and answers
        finally:  # the message sent is confirmed even when the next one cannot be made
            if waiting is not None:
                code, reply = smtp.getreply()
                if code != 250:
                    raise smtplib.SMTPDataError(code, reply)
                accepted(waiting.key)
        if following is not None:
            following.read_replies(smtp)
        waiting, following = following, after


class _Contents:
    """Each message's content, as `message.message().as_bytes()` gives it. The messages of a
    batch of reminders differ mostly in their recipient and Message-ID alone: one of a kind
    (the same sender, subject and body, nothing else added, a Message-ID of the same length)
    is made from the content Django built for the first of that kind, its recipient and
    Message-ID swapped in, and the first one's Date (a batch takes seconds). Building each
    message with the e-mail package took a third of the worker's time per e-mail (issue 14);
    tests/test_mail.py checks the two give the same bytes."""

    TO = "recipient@swap.invalid"

    def __init__(self) -> None:
        self.templates: dict[tuple[Any, ...], bytes | None] = {}

    def of(self, message: EmailMessage) -> bytes:
        kind = _kind(message)
        if kind is None:
            return _built(message)
        if kind not in self.templates:
            self.templates[kind] = self._template(message)
        template = self.templates[kind]
        if template is None:
            return _built(message)
        message_id = message.extra_headers["Message-ID"]
        return template.replace(self.TO.encode(), message.to[0].encode(), 1).replace(
            _stand_in_id(len(message_id)).encode(), message_id.encode(), 1
        )

    def _template(self, message: EmailMessage) -> bytes | None:
        """Django's content for this kind of message, sent to TO under a stand-in Message-ID
        as long as the message's (a header is folded by its length: the same length folds the
        same way); None (build each one) unless each stand-in appears exactly once."""
        stand_in_id = _stand_in_id(len(message.extra_headers["Message-ID"]))
        stand_in = EmailMessage(
            message.subject,
            message.body,
            message.from_email,
            [self.TO],
            headers={"Message-ID": stand_in_id},
        )
        stand_in.encoding = message.encoding
        built = _built(stand_in)
        once = built.count(self.TO.encode()) == 1 and built.count(stand_in_id.encode()) == 1
        return built if once else None


def _stand_in_id(length: int) -> str:
    """A Message-ID of `length` characters that no real message has."""
    return "<" + "swap.invalid"[: length - 2].ljust(length - 2, "x") + ">"


def _built(message: EmailMessage) -> bytes:
    """A message's content as Django's SMTP backend sends it."""
    return bytes(message.message().as_bytes(linesep="\r\n"))


# A Message-ID whose header line the e-mail package writes as it is.
_PLAIN_MESSAGE_ID = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{1,200}>")


def _kind(message: EmailMessage) -> tuple[Any, ...] | None:
    """What messages of one kind share (sender, subject, body, encoding, the Message-ID's
    length), if `message` is plain text and differs from the others of its kind only in one
    plain recipient (short enough never to be folded) and a plain Message-ID; else None."""
    plain = (
        type(message) is EmailMessage
        and message.content_subtype == "plain"
        and len(message.to) == 1
        and not (message.cc or message.bcc or message.reply_to or message.attachments)
        and list(message.extra_headers) == ["Message-ID"]
        and len(message.to[0]) <= 64
        and "=?" not in message.to[0]
        and _PLAIN_ADDRESS.fullmatch(message.to[0]) is not None
        and _PLAIN_MESSAGE_ID.fullmatch(message.extra_headers["Message-ID"]) is not None
    )
    if not plain:
        return None
    return (
        message.from_email,
        str(message.subject),
        str(message.body),
        message.encoding or "",
        len(message.extra_headers["Message-ID"]),
    )


# An address `sanitize_address` gives back unchanged (unless it holds an RFC 2047 encoded
# word, =?…?=, which it decodes): ASCII, a dot-atom before the @ (RFC 5322)
# and a domain of labels of letters, digits and hyphens (IDNA leaves those as they are).
# Parsing one with the e-mail package was a fifth of the worker's time per e-mail (issue 14).
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
)


def _envelope_address(address: str, encoding: str) -> str:
    """An address as the envelope gives it (as Django's SMTP backend: `sanitize_address`)."""
    if "=?" not in address and _PLAIN_ADDRESS.fullmatch(address):  # =?…?= is an encoded word
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=64)  # the sender: one address for every message
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _terminated(content: bytes) -> bytes:
    """The content as DATA sends it (as smtplib.SMTP.data): a line starting with a dot doubled,
    ending in CRLF, then the dot line that ends the message."""
    quoted = re.sub(rb"(?m)^\.", b"..", content)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"
