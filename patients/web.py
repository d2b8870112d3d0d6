"""HTTP helpers the patients app's pages and endpoints share: the signed-in patient, a web
form recorded once, the base of patient-scoped endpoints and the answer to a replayed upload."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from patients.activity.services import Outcome, Recorded
from patients.models import Patient
from rehab.api import REPLAYED_HEADER, IsPatient
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


def recorded_response(recorded: Recorded, output: Any, context: dict) -> Response:
    """201 for a new row; 200 with the stored row for an update or a replay."""
    headers = {REPLAYED_HEADER: "true"} if recorded.outcome == Outcome.ALREADY_PRESENT else {}
    code = status.HTTP_201_CREATED if recorded.outcome == Outcome.CREATED else status.HTTP_200_OK
    return Response(output(recorded.obj, context=context).data, status=code, headers=headers)


class PatientApi(generics.GenericAPIView):
    """Base for the signed-in patient's own data; dates and times in their own zone."""

    permission_classes = [IsAuthenticated, IsPatient]

    @property
    def patient(self) -> Patient:
        return self.request.user.patient  # type: ignore[union-attr]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "zone": self.patient.zone}
