"""Helpers the patients app's web views share."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from patients.activity.services import Recorded
from patients.models import Patient
from rehab.exceptions import DomainError


def record_once(record: Callable[..., Recorded], **kwargs: Any) -> Recorded:
    """Call a recording service with the form's UUID. The same UUID with other content means
    the patient went back and changed a form they had already sent: on the web that is a
    deliberate re-log of the same slot, so it is recorded again (the slot row is updated)."""
    try:
        return record(**kwargs)
    except DomainError as error:
        if error.code != "conflict":
            raise
        return record(**{**kwargs, "client_uuid": uuid.uuid4()})


def current_patient(request: HttpRequest) -> Patient:
    return request.user.patient  # type: ignore[union-attr]
