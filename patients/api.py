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

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from patients import openapi
from patients.activity.selectors import check_ins_of, session_logs_of, today_for, weekly_progress
from patients.activity.services import Recorded
from patients.activity.sync import (
    delete_session_log,
    record_offline,
    sync_records,
    update_session_log,
)
from patients.api_auth import role_of
from patients.filters import (
    CheckInFilter,
    FlagFilter,
    NotificationFilter,
    QuestionnaireResponseFilter,
    SessionLogFilter,
)
from patients.models import CheckIn, Flag, Notification, Patient, QuestionnaireResponse, SessionLog
from patients.monitoring.selectors import flags_visible_to, visible_flag
from patients.monitoring.services import acknowledge_flag, resolve_flag
from patients.notifications.selectors import notifications_for
from patients.notifications.services import mark_notifications_read
from patients.people.selectors import caseload, visible_patient
from patients.people.services import create_patient
from patients.privacy.services import export_file
from patients.privacy.views import download
from patients.questionnaires.definitions import QUESTIONNAIRES
from patients.questionnaires.selectors import questionnaire_responses_of
from patients.reminders.services import update_reminder_preferences
from patients.serializers import (
    CaseloadRowOutput,
    CheckInInput,
    CheckInOutput,
    FlagOutput,
    MarkReadInput,
    MeOutput,
    MeUpdateInput,
    NotificationOutput,
    PatientCreateInput,
    PatientDetailOutput,
    QuestionnaireOutput,
    QuestionnaireResponseInput,
    QuestionnaireResponseOutput,
    ResolveFlagInput,
    SessionChangeInput,
    SessionLogInput,
    SessionLogOutput,
    SyncInput,
    SyncOutput,
    TodayOutput,
    session_values,
    sync_item,
)
from rehab.api import REPLAYED_HEADER, IsPatient, IsTherapist, idempotent
from rehab.audit import log_view
from rehab.shortcuts import get_or_404


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """The request body checked by an `...Input` serializer (a 400 with field errors if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def recorded_response(recorded: Recorded, output: Any, context: dict) -> Response:
    """201 for a new row; 200 with the stored row for an update or a replay."""
    headers = {REPLAYED_HEADER: "true"} if recorded.outcome == "already_present" else {}
    code = status.HTTP_201_CREATED if recorded.outcome == "created" else status.HTTP_200_OK
    return Response(output(recorded.obj, context=context).data, status=code, headers=headers)


def schema_generation(view: APIView) -> bool:
    """True while drf-spectacular inspects a view (no real user: lists must not query)."""
    return getattr(view, "swagger_fake_view", False)


class PatientApi(generics.GenericAPIView):
    """Base for the signed-in patient's own data; dates and times in their own zone."""

    permission_classes = [IsAuthenticated, IsPatient]

    @property
    def patient(self) -> Patient:
        return self.request.user.patient  # type: ignore[union-attr]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "zone": self.patient.zone}


# --- Me -----------------------------------------------------------------------------------


@extend_schema_view(**openapi.ME)
class MeApi(APIView):
    def get(self, request: Request) -> Response:
        return Response(MeOutput(_me(request.user)).data)

    def patch(self, request: Request) -> Response:
        patient = getattr(request.user, "patient", None)
        if patient is None:
            raise exceptions.PermissionDenied("Only patients have reminder preferences.")
        data = validated(MeUpdateInput, request.data)
        update_reminder_preferences(patient=patient, **data)
        return Response(MeOutput(_me(request.user)).data)


def _me(user: Any) -> dict[str, Any]:
    return {
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": role_of(user),
        "patient": getattr(user, "patient", None),
    }


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
        values = {"logged_at": timezone.now(), **session_values(data)}
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
        recorded = update_session_log(
            patient=self.patient, log=log, **{"logged_at": timezone.now(), **data}
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
        values = {"logged_at": timezone.now(), **data}
        recorded = record_offline("check_in", patient=self.patient, **values)
        return recorded_response(recorded, CheckInOutput, self.get_serializer_context())


@extend_schema_view(**openapi.CHECK_IN)
class CheckInDetailApi(PatientApi):
    serializer_class = CheckInOutput

    def get(self, request: Request, pk: str) -> Response:
        check_in = get_or_404(check_ins_of(self.patient), pk)
        return Response(self.get_serializer(check_in).data)


# --- Questionnaires -----------------------------------------------------------------------


@extend_schema_view(**openapi.QUESTIONNAIRES)
class QuestionnaireListApi(generics.ListAPIView):
    serializer_class = QuestionnaireOutput
    filter_backends: list[Any] = []  # a fixed list of three definitions, not a queryset

    def get_queryset(self) -> Any:
        return list(QUESTIONNAIRES.values())


@extend_schema_view(**openapi.QUESTIONNAIRE)
class QuestionnaireDetailApi(APIView):
    def get(self, request: Request, slug: str) -> Response:
        questionnaire = QUESTIONNAIRES.get(slug)
        if questionnaire is None:
            raise exceptions.NotFound("No such questionnaire.")
        return Response(QuestionnaireOutput(questionnaire).data)


@extend_schema_view(**openapi.QUESTIONNAIRE_RESPONSES)
class QuestionnaireResponseListApi(PatientApi, generics.ListAPIView):
    serializer_class = QuestionnaireResponseOutput
    filterset_class = QuestionnaireResponseFilter

    queryset = QuestionnaireResponse.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return questionnaire_responses_of(self.patient)

    def post(self, request: Request) -> Response:
        data = validated(QuestionnaireResponseInput, request.data)
        values = {"logged_at": timezone.now(), **data}
        recorded = record_offline("questionnaire", patient=self.patient, **values)
        return recorded_response(
            recorded, QuestionnaireResponseOutput, self.get_serializer_context()
        )


@extend_schema_view(**openapi.QUESTIONNAIRE_RESPONSE)
class QuestionnaireResponseDetailApi(PatientApi):
    serializer_class = QuestionnaireResponseOutput

    def get(self, request: Request, pk: str) -> Response:
        response = get_or_404(questionnaire_responses_of(self.patient), pk)
        return Response(self.get_serializer(response).data)


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
        outcomes = ("created", "updated", "already_present", "rejected")
        body = {"results": results, **{name: counts[name] for name in outcomes}}
        return Response(SyncOutput(body, context=self.get_serializer_context()).data)


# --- Notifications ------------------------------------------------------------------------


@extend_schema_view(**openapi.NOTIFICATIONS)
class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationOutput
    filterset_class = NotificationFilter

    queryset = Notification.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return notifications_for(self.request.user)


@extend_schema_view(**openapi.MARK_NOTIFICATIONS_READ)
class MarkNotificationsReadApi(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        ids = validated(MarkReadInput, request.data).get("ids")
        marked = mark_notifications_read(user=request.user, ids=ids, now=timezone.now())
        return Response({"marked": marked})


# --- Therapist: caseload, patients, flags -------------------------------------------------


@extend_schema_view(**openapi.CASELOAD)
class CaseloadApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    serializer_class = CaseloadRowOutput
    filter_backends: list[Any] = []  # caseload() returns rows ordered most urgent first

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return []
        return caseload(self.request.user.therapist, timezone.now())  # type: ignore[union-attr]

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(PatientCreateInput, request.data)
        therapist = request.user.therapist  # type: ignore[union-attr]
        patient = create_patient(
            therapist=therapist, **{**data, "password": data["password"] or None}
        )
        detail = _patient_detail(patient)
        return Response(PatientDetailOutput(detail).data, status=status.HTTP_201_CREATED)


def _patient_detail(patient: Patient) -> dict[str, Any]:
    return {
        "patient": patient,
        "progress": weekly_progress(patient, timezone.now()),
        "recent_sessions": session_logs_of(patient)[:30],
        "open_flags": patient.flags.exclude(status="resolved"),
    }


@extend_schema_view(**openapi.PATIENT_DETAIL)
class PatientDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def get(self, request: Request, pk: str) -> Response:
        patient = visible_patient(request.user, pk)
        log_view(request.user, patient)
        context = {"zone": patient.zone}
        return Response(PatientDetailOutput(_patient_detail(patient), context=context).data)


@extend_schema_view(**openapi.FLAGS)
class FlagListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    serializer_class = FlagOutput
    filterset_class = FlagFilter

    queryset = Flag.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return flags_visible_to(self.request.user)


@extend_schema_view(**openapi.FLAG)
class FlagDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def get(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        log_view(request.user, flag)
        return Response(FlagOutput(flag).data)


@extend_schema_view(**openapi.ACKNOWLEDGE_FLAG)
class AcknowledgeFlagApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        flag = acknowledge_flag(flag=flag, by=request.user, now=timezone.now())
        return Response(FlagOutput(flag).data)


@extend_schema_view(**openapi.RESOLVE_FLAG)
class ResolveFlagApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        note = validated(ResolveFlagInput, request.data)["note"]
        flag = resolve_flag(flag=flag, by=request.user, note=note, now=timezone.now())
        return Response(FlagOutput(flag).data)


# --- Data export --------------------------------------------------------------------------


class ZipRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/zip`; errors are still the JSON body."""

    media_type = "application/zip"
    format = "zip"
    charset = None

    def render(self, data: Any, accepted_media_type: Any = None, context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


def _export(patient: Patient, fmt: str) -> HttpResponse:
    return download(export_file(patient, fmt=fmt, now=timezone.now()))


@extend_schema_view(**openapi.MY_EXPORT)
class MyExportApi(PatientApi):
    def get(self, request: Request) -> HttpResponse:
        return _export(self.patient, "json")


@extend_schema_view(**openapi.MY_EXPORT_ZIP)
class MyExportZipApi(PatientApi):
    renderer_classes = [JSONRenderer, ZipRenderer]

    def get(self, request: Request) -> HttpResponse:
        return _export(self.patient, "zip")


@extend_schema_view(**openapi.PATIENT_EXPORT)
class PatientExportApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export(visible_patient(request.user, pk), "json")


@extend_schema_view(**openapi.PATIENT_EXPORT_ZIP)
class PatientExportZipApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    renderer_classes = [JSONRenderer, ZipRenderer]

    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export(visible_patient(request.user, pk), "zip")
