"""A mail backend for the reminder benchmark: one line per message, appended to the file named
by BENCH_MAIL_FILE, so the parent process can count what the worker sent."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class CountingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        lines = "".join(f"{','.join(m.to)}\t{m.subject}\n" for m in email_messages)
        # O_APPEND: concurrent worker processes each add whole lines.
        fd = os.open(os.environ["BENCH_MAIL_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)
        return len(email_messages)
