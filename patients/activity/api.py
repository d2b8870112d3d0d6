"""REST endpoints for patients (their day, logs, check-ins, questionnaires), therapists
(caseload, patient detail, flags), notifications and offline sync.

Handlers only wire HTTP to the shared services and selectors. Visibility: every object is
read through a queryset built from the caller, so another patient's or therapist's object is
a 404. Role checks (IsPatient / IsTherapist, rehab/api.py): 403 on a collection URL, 404 on
an object URL. Offline records (logs, check-ins, questionnaire responses) are idempotent on
their `client_uuid`: 201 when created, 200 with the stored row for a replay (header
`Idempotent-Replayed: true`) or an update of the same slot/day, 409 for a reused UUID with
other content.

Each view's OpenAPI documentation (summaries, bodies, examples) is in openapi.py, attached
with `@extend_schema_view`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from patients.activity import openapi
from patients.activity.filters import CheckInFilter, SessionLogFilter
from patients.activity.selectors import (
    SWELLING_QUESTION,
    check_in_questions_of,
    check_ins_of,
    session_logs_of,
    today_for,
)
from patients.activity.serializers import (
    CheckInInput,
    CheckInOutput,
    CheckInQuestionsOutput,
    SessionChangeInput,
    SessionLogInput,
    SessionLogOutput,
    SyncInput,
    SyncOutput,
    TodayOutput,
    session_values,
    sync_item,
)
from patients.activity.services import Outcome
from patients.activity.sync import (
    delete_session_log,
    record_offline,
    sync_records,
    update_session_log,
)
from patients.models import CheckIn, SessionLog
from patients.monitoring.selectors import RED_FLAG_ANSWERED
from patients.web import PatientApi, recorded_response
from rehab.api import schema_generation, validated
from rehab.shortcuts import get_or_404

# --- Me -----------------------------------------------------------------------------------


# --- Today --------------------------------------------------------------------------------


@extend_schema_view(**openapi.TODAY)
class TodayApi(PatientApi):
    def get(self, request: Request) -> Response:
        today = today_for(self.patient, timezone.now())
        # The patient's own text only: no clinician notes or source ids, and the cautions of
        # the programme's condition (F39), as GET /programme/ gives them.
        condition = today.programme.condition.slug if today.programme else ""
        context = {**self.get_serializer_context(), "for_patient": True, "condition": condition}
        return Response(TodayOutput(today, context=context).data)


# --- The check-in's questions -------------------------------------------------------------


@extend_schema_view(**openapi.CHECK_IN_QUESTIONS)
class CheckInQuestionsApi(PatientApi):
    def get(self, request: Request) -> Response:
        body = {
            "questions": check_in_questions_of(self.patient),
            "swelling_question": SWELLING_QUESTION,
            "answered_yes": RED_FLAG_ANSWERED,
        }
        return Response(CheckInQuestionsOutput(body).data)


# --- Session logs -------------------------------------------------------------------------


@extend_schema_view(**openapi.SESSION_LOGS)
class SessionLogListApi(PatientApi, generics.ListAPIView):
    serializer_class = SessionLogOutput
    filterset_class = SessionLogFilter

    queryset = SessionLog.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return session_logs_of(self.patient)

    def post(self, request: Request) -> Response:
        data = validated(SessionLogInput, request.data)
        now = timezone.now()
        values = {"logged_at": now, **session_values(data), "now": now}
        recorded = record_offline("session", patient=self.patient, **values)
        return recorded_response(recorded, SessionLogOutput, self.get_serializer_context())


@extend_schema_view(**openapi.SESSION_LOG)
class SessionLogDetailApi(PatientApi):
    serializer_class = SessionLogOutput

    def get_object(self) -> Any:
        return get_or_404(session_logs_of(self.patient), self.kwargs["pk"])

    def get(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def put(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=False)

    def patch(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=True)

    def delete(self, request: Request, pk: str) -> Response:
        delete_session_log(patient=self.patient, log=self.get_object(), now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _change(self, request: Request, *, partial: bool) -> Response:
        log = self.get_object()
        body = request.data
        if partial and isinstance(body, dict):
            body = {**_session_as_input(log), **body}
        data = session_values(validated(SessionChangeInput, body))
        now = timezone.now()
        recorded = update_session_log(
            patient=self.patient, log=log, **{"logged_at": now, **data, "now": now}
        )
        return Response(self.get_serializer(recorded.obj).data)


def _session_as_input(log: Any) -> dict[str, Any]:
    """A stored log in SessionChangeInput's shape, for PATCH to merge the changes into."""
    return {
        "status": log.status,
        "skip_reason": log.skip_reason,
        "pain_after_nrs": log.pain_after_nrs,
        "exercises": [
            {
                "item_key": str(entry.item_key),
                "sets_done": entry.sets_done,
                "reps_done": entry.reps_done,
                "hold_s_done": entry.hold_s_done,
                "load": entry.load,
                "pain_during_nrs": entry.pain_during_nrs,
            }
            for entry in log.exercises.all()
        ],
    }


# --- Check-ins ----------------------------------------------------------------------------


@extend_schema_view(**openapi.CHECK_INS)
class CheckInListApi(PatientApi, generics.ListAPIView):
    serializer_class = CheckInOutput
    filterset_class = CheckInFilter

    queryset = CheckIn.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return check_ins_of(self.patient)

    def post(self, request: Request) -> Response:
        data = validated(CheckInInput, request.data)
        now = timezone.now()
        values = {"logged_at": now, **data, "now": now}
        recorded = record_offline("check_in", patient=self.patient, **values)
        return recorded_response(recorded, CheckInOutput, self.get_serializer_context())


@extend_schema_view(**openapi.CHECK_IN)
class CheckInDetailApi(PatientApi):
    serializer_class = CheckInOutput

    def get(self, request: Request, pk: str) -> Response:
        check_in = get_or_404(check_ins_of(self.patient), pk)
        return Response(self.get_serializer(check_in).data)


# --- Questionnaires -----------------------------------------------------------------------


# --- Offline sync -------------------------------------------------------------------------


@extend_schema_view(**openapi.SYNC)
class SyncApi(PatientApi):
    throttle_scope = "sync"
    throttle_classes = [ScopedRateThrottle]

    def post(self, request: Request) -> Response:
        records = validated(SyncInput, request.data)["records"]
        items = [sync_item(index, record) for index, record in enumerate(records)]
        results = sync_records(patient=self.patient, items=items, now=timezone.now())
        counts = Counter(result.status for result in results)
        body = {"results": results, **{outcome: counts[outcome] for outcome in Outcome.values}}
        return Response(SyncOutput(body, context=self.get_serializer_context()).data)


# --- Notifications ------------------------------------------------------------------------


# --- Therapist: caseload, patients, flags -------------------------------------------------


# --- Data export --------------------------------------------------------------------------
