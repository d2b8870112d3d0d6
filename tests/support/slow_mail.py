"""A mail backend for fault tests, used by worker subprocesses: the first send stalls (so the
test can kill the process mid-send); every send is written to a folder the test reads."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class SlowFirstSendBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        folder = Path(os.environ["REHAB_TEST_MAIL_DIR"])
        stalled = folder / "stalled"
        if not stalled.exists():
            stalled.write_text(str(os.getpid()))
            time.sleep(60)  # killed here by the test
        for message in email_messages:
            (folder / f"{uuid.uuid4()}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
