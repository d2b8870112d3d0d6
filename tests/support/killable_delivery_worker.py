"""The real Celery app for the reminder-delivery kill test, with one change, chosen by
`$REHAB_TEST_STALL`:

- `delivery`: the first batch to deliver stalls inside its transaction (rows locked, nothing
  committed) after writing its pid to `$REHAB_TEST_STALL_DIR/stalled`;
- `email`: every e-mail the mail server accepts is marked sent only after a pause, and the
  first pause writes the pid: a kill then lands between the server's "250 OK" and the mark,
  the one window in which an e-mail can go twice.

Started as `celery -A tests.support.killable_delivery_worker worker …` (tests/integration)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from celery.signals import worker_process_init

from rehab.celery import app

__all__ = ["app"]


def _marker() -> Path:
    return Path(os.environ["REHAB_TEST_STALL_DIR"]) / "stalled"


def _stall_delivery() -> None:
    from patients.reminders import services

    real = services.unwanted_reminders

    def stalling(batch: Any) -> Any:
        if not _marker().exists():
            _marker().write_text(str(os.getpid()))
            time.sleep(300)  # killed here by the test, the batch's transaction open
        return real(batch)

    services.unwanted_reminders = stalling


def _slow_email_marks() -> None:
    from patients.notifications import services

    real = services.Outbox.marks

    @contextlib.contextmanager
    def slow(outbox: Any, now: Any) -> Iterator[Callable[[Any], None]]:
        with real(outbox, now) as mark:
            if outbox is not services.EMAILS:
                yield mark
                return

            def slow_mark(pk: Any) -> None:
                if not _marker().exists():
                    _marker().write_text(str(os.getpid()))
                time.sleep(0.2)
                mark(pk)

            yield slow_mark

    services.Outbox.marks = slow  # type: ignore[method-assign,assignment]


@worker_process_init.connect
def _patch(**kwargs: Any) -> None:  # in each pool child, once Django is set up
    {"delivery": _stall_delivery, "email": _slow_email_marks}[os.environ["REHAB_TEST_STALL"]]()
