"""REST endpoints for patients (their day, logs, check-ins, questionnaires), therapists
(caseload, patient detail, flags), notifications and offline sync.

Handlers only wire HTTP to the shared services and selectors. Visibility: every object is
read through a queryset built from the caller, so another patient's or therapist's object is
a 404. Role checks (IsPatient / IsTherapist, rehab/api.py): 403 on a collection URL, 404 on
an object URL. Offline records (logs, check-ins, questionnaire responses) are idempotent on
their `client_uuid`: 201 when created, 200 with the stored row for a replay (header
`Idempotent-Replayed: true`) or an update of the same slot/day, 409 for a reused UUID with
other content."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from patients.activity.selectors import check_ins_of, session_logs_of, today_for, weekly_progress
from patients.activity.services import Recorded
from patients.activity.sync import (
    DELETE_WINDOW_DAYS,
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
    MarkReadOutput,
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
from rehab.api import REPLAYED_HEADER, ErrorOutput, IsPatient, IsTherapist, idempotent
from rehab.audit import log_view
from rehab.shortcuts import get_or_404

EXAMPLE_UUID = "3f2b8c1e-6a4d-4f7e-9b1a-2c5d8e9f0a1b"
EXAMPLE_ITEM = "8d0e4b7a-1c2f-4a3b-9e8d-7f6a5b4c3d2e"


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


class MeApi(APIView):
    @extend_schema(
        summary="Who am I: account, role, and a patient's profile and preferences",
        tags=["me"],
        responses=MeOutput,
        examples=[
            OpenApiExample(
                "Patient",
                value={
                    "username": "pat.achilles",
                    "first_name": "Pat",
                    "last_name": "Achilles",
                    "email": "pat@example.org",
                    "role": "patient",
                    "patient": {
                        "id": EXAMPLE_UUID,
                        "time_zone": "Europe/London",
                        "date_of_birth": "1985-03-02",
                        "session_times": ["08:00", "18:00"],
                        "email_reminders": True,
                        "quiet_start": "21:00:00",
                        "quiet_end": "07:00:00",
                        "daily_reminder_cap": 6,
                        "therapist_name": "Dana Therapist",
                    },
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutput(_me(request.user)).data)

    @extend_schema(
        summary="Change a patient's time zone and reminder preferences",
        tags=["me"],
        request=MeUpdateInput,
        responses=MeOutput,
        examples=[
            OpenApiExample(
                "Evening only, in New York",
                value={"time_zone": "America/New_York", "session_times": ["19:30"]},
                request_only=True,
            )
        ],
    )
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


class TodayApi(PatientApi):
    @extend_schema(
        summary="Today: what is due on the patient's own date, and what is already logged",
        tags=["patient"],
        responses=TodayOutput,
        examples=[
            OpenApiExample(
                "Nothing logged yet",
                value={
                    "local_date": "2026-11-03",
                    "programme": EXAMPLE_UUID,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "week": 1,
                    "sessions": [{"slot": 1, "time": "08:00", "items": [], "log": None}],
                    "ice_heat": [],
                    "check_in": None,
                    "questionnaire": "visa_a",
                    "questionnaire_due": True,
                    "paused": None,
                },
            ),
            OpenApiExample(
                "Paused by a red flag",
                value={
                    "local_date": "2026-11-03",
                    "programme": EXAMPLE_UUID,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "week": 1,
                    "sessions": [],
                    "ice_heat": [],
                    "check_in": None,
                    "questionnaire": "visa_a",
                    "questionnaire_due": False,
                    "paused": {
                        "since": "2026-11-03",
                        "urgency": "urgent",
                        "heading": "Get medical help today",
                        "advice": ["Do not do any exercises. Keep weight off the foot."],
                    },
                },
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        today = today_for(self.patient, timezone.now())
        # The patient's own text only: no clinician notes or source ids, and the cautions of
        # the programme's condition (F39), as GET /programme/ gives them.
        condition = today.programme.condition.slug if today.programme else ""
        context = {**self.get_serializer_context(), "for_patient": True, "condition": condition}
        return Response(TodayOutput(today, context=context).data)


# --- Session logs -------------------------------------------------------------------------

SESSION_EXAMPLE = {
    "client_uuid": EXAMPLE_UUID,
    "local_date": "2026-11-03",
    "slot": 1,
    "status": "done",
    "pain_after_nrs": 3,
    "exercises": [
        {"item_key": EXAMPLE_ITEM, "sets_done": 3, "reps_done": 15, "pain_during_nrs": 3}
    ],
    "logged_at": "2026-11-03T08:25:00+00:00",
}
SESSION_OUTPUT_EXAMPLE = {
    "id": "0c9a7d52-53c5-4a53-9a53-6b8e0f1d2c3b",
    "client_uuid": EXAMPLE_UUID,
    "programme": "a4c1e2d3-5b6f-4a7b-8c9d-0e1f2a3b4c5d",
    "local_date": "2026-11-03",
    "slot": 1,
    "status": "done",
    "skip_reason": "",
    "pain_after_nrs": 3,
    "exercises": [
        {
            "item_key": EXAMPLE_ITEM,
            "exercise": "eccentric_heel_drop_straight_knee",
            "target_sets": 3,
            "target_reps": 15,
            "target_hold_s": None,
            "sets_done": 3,
            "reps_done": 15,
            "hold_s_done": None,
            "load": "",
            "pain_during_nrs": 3,
        }
    ],
    "logged_at": "2026-11-03T08:25:00+00:00",
    "created_at": "2026-11-03T08:25:02.120000Z",
    "updated_at": "2026-11-03T08:25:02.120000Z",
}
CONFLICT = OpenApiResponse(ErrorOutput, description="This client_uuid was sent with other content.")


class SessionLogListApi(PatientApi, generics.ListAPIView):
    serializer_class = SessionLogOutput
    filterset_class = SessionLogFilter

    queryset = SessionLog.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return session_logs_of(self.patient)

    @extend_schema(
        summary="List my session logs (newest first)",
        tags=["patient"],
        examples=[OpenApiExample("A log", value=SESSION_OUTPUT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Log a session (idempotent on client_uuid; the same slot again replaces it)",
        tags=["patient"],
        request=SessionLogInput,
        responses={201: SessionLogOutput, 200: SessionLogOutput, 409: CONFLICT},
        examples=[
            OpenApiExample("Done", value=SESSION_EXAMPLE, request_only=True),
            OpenApiExample(
                "Skipped",
                value={
                    "client_uuid": "5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
                    "local_date": "2026-11-03",
                    "slot": 2,
                    "status": "skipped",
                    "skip_reason": "Calf too sore after a long walk.",
                    "logged_at": "2026-11-03T19:02:00-05:00",
                },
                request_only=True,
            ),
            OpenApiExample("Stored", value=SESSION_OUTPUT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(SessionLogInput, request.data)
        values = {"logged_at": timezone.now(), **session_values(data)}
        recorded = record_offline("session", patient=self.patient, **values)
        return recorded_response(recorded, SessionLogOutput, self.get_serializer_context())


class SessionLogDetailApi(PatientApi):
    serializer_class = SessionLogOutput

    def get_object(self) -> Any:
        return get_or_404(session_logs_of(self.patient), self.kwargs["pk"])

    @extend_schema(
        summary="One of my session logs",
        tags=["patient"],
        examples=[OpenApiExample("A log", value=SESSION_OUTPUT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Replace what a session log holds (its date and slot stay)",
        tags=["patient"],
        request=SessionChangeInput,
        responses=SessionLogOutput,
        examples=[
            OpenApiExample(
                "Pain was higher",
                value={"status": "done", "pain_after_nrs": 5, "exercises": []},
                request_only=True,
            )
        ],
    )
    def put(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=False)

    @extend_schema(
        summary="Change some of what a session log holds",
        tags=["patient"],
        request=SessionChangeInput,
        responses=SessionLogOutput,
        examples=[OpenApiExample("Pain only", value={"pain_after_nrs": 4}, request_only=True)],
    )
    def patch(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=True)

    @extend_schema(
        summary=f"Delete one of my session logs (within {DELETE_WINDOW_DAYS} days)",
        tags=["patient"],
        responses={204: None},
    )
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

CHECK_IN_EXAMPLE = {
    "client_uuid": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
    "local_date": "2026-11-03",
    "morning_pain_nrs": 3,
    "stiffness_minutes": 10,
    "red_flags": [],
    "logged_at": "2026-11-03T07:40:00+00:00",
}


class CheckInListApi(PatientApi, generics.ListAPIView):
    serializer_class = CheckInOutput
    filterset_class = CheckInFilter

    queryset = CheckIn.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return check_ins_of(self.patient)

    @extend_schema(
        summary="List my morning check-ins (newest first)",
        tags=["patient"],
        examples=[
            OpenApiExample(
                "A check-in",
                value={**CHECK_IN_EXAMPLE, "id": EXAMPLE_UUID, "created_at": "2026-11-03T07:40Z"},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Send the morning check-in (idempotent on client_uuid; once a day)",
        tags=["patient"],
        request=CheckInInput,
        responses={201: CheckInOutput, 200: CheckInOutput, 409: CONFLICT},
        examples=[OpenApiExample("Morning", value=CHECK_IN_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = validated(CheckInInput, request.data)
        values = {"logged_at": timezone.now(), **data}
        recorded = record_offline("check_in", patient=self.patient, **values)
        return recorded_response(recorded, CheckInOutput, self.get_serializer_context())


class CheckInDetailApi(PatientApi):
    serializer_class = CheckInOutput

    @extend_schema(
        summary="One of my check-ins",
        tags=["patient"],
        examples=[
            OpenApiExample(
                "A check-in",
                value={**CHECK_IN_EXAMPLE, "id": EXAMPLE_UUID, "created_at": "2026-11-03T07:40Z"},
            )
        ],
    )
    def get(self, request: Request, pk: str) -> Response:
        check_in = get_or_404(check_ins_of(self.patient), pk)
        return Response(self.get_serializer(check_in).data)


# --- Questionnaires -----------------------------------------------------------------------

RESPONSE_EXAMPLE = {
    "client_uuid": "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "questionnaire": "lefs",
    "local_date": "2026-11-08",
    "answers": {f"a{n}": 3 for n in range(1, 21)},
    "logged_at": "2026-11-08T10:00:00+01:00",
}


class QuestionnaireListApi(generics.ListAPIView):
    serializer_class = QuestionnaireOutput
    filter_backends: list[Any] = []  # a fixed list of three definitions, not a queryset

    def get_queryset(self) -> Any:
        return list(QUESTIONNAIRES.values())

    @extend_schema(
        summary="Questionnaire definitions (VISA-A, LEFS, FAAM): items and answer choices",
        tags=["questionnaires"],
        examples=[
            OpenApiExample(
                "VISA-A (first item)",
                value={
                    "slug": "visa_a",
                    "name": "VISA-A",
                    "max_score": 100,
                    "higher_is_better": True,
                    "sources": ["R13"],
                    "items": [
                        {
                            "key": "q1",
                            "text": "…",
                            "section": "",
                            "choices": [{"value": 0, "label": "100 minutes or more"}],
                            "minimum": None,
                            "maximum": None,
                            "unit": "",
                            "allow_not_applicable": False,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class QuestionnaireDetailApi(APIView):
    @extend_schema(
        summary="One questionnaire definition",
        tags=["questionnaires"],
        responses=QuestionnaireOutput,
        examples=[
            OpenApiExample(
                "LEFS",
                value={"slug": "lefs", "name": "LEFS", "max_score": 80, "items": []},
            )
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        questionnaire = QUESTIONNAIRES.get(slug)
        if questionnaire is None:
            raise exceptions.NotFound("No such questionnaire.")
        return Response(QuestionnaireOutput(questionnaire).data)


class QuestionnaireResponseListApi(PatientApi, generics.ListAPIView):
    serializer_class = QuestionnaireResponseOutput
    filterset_class = QuestionnaireResponseFilter

    queryset = QuestionnaireResponse.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return questionnaire_responses_of(self.patient)

    @extend_schema(
        summary="List my questionnaire responses with their scores (newest first)",
        tags=["questionnaires"],
        examples=[
            OpenApiExample(
                "Scored",
                value={**RESPONSE_EXAMPLE, "id": EXAMPLE_UUID, "score": 60.0, "subscales": {}},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Answer a questionnaire; the response carries its score (idempotent)",
        tags=["questionnaires"],
        request=QuestionnaireResponseInput,
        responses={
            201: QuestionnaireResponseOutput,
            200: QuestionnaireResponseOutput,
            409: CONFLICT,
        },
        examples=[OpenApiExample("LEFS", value=RESPONSE_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = validated(QuestionnaireResponseInput, request.data)
        values = {"logged_at": timezone.now(), **data}
        recorded = record_offline("questionnaire", patient=self.patient, **values)
        return recorded_response(
            recorded, QuestionnaireResponseOutput, self.get_serializer_context()
        )


class QuestionnaireResponseDetailApi(PatientApi):
    serializer_class = QuestionnaireResponseOutput

    @extend_schema(
        summary="One of my questionnaire responses",
        tags=["questionnaires"],
        examples=[
            OpenApiExample(
                "Scored",
                value={**RESPONSE_EXAMPLE, "id": EXAMPLE_UUID, "score": 60.0, "subscales": {}},
            )
        ],
    )
    def get(self, request: Request, pk: str) -> Response:
        response = get_or_404(questionnaire_responses_of(self.patient), pk)
        return Response(self.get_serializer(response).data)


# --- Offline sync -------------------------------------------------------------------------


class SyncApi(PatientApi):
    throttle_scope = "sync"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        summary="Upload up to 500 offline records at once; a result per record",
        description="Each record is checked and stored on its own: one bad record is reported "
        "as `rejected` (with code, message and fields) and never blocks the others. "
        "Records replay on their `client_uuid`, so sending the same batch again creates "
        "nothing (`already_present`). Results are in the order sent.",
        tags=["sync"],
        request=SyncInput,
        responses=SyncOutput,
        examples=[
            OpenApiExample(
                "Two records",
                value={
                    "records": [
                        {"type": "check_in", **CHECK_IN_EXAMPLE},
                        {"type": "session", **SESSION_EXAMPLE},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Results",
                value={
                    "results": [
                        {
                            "index": 0,
                            "client_uuid": CHECK_IN_EXAMPLE["client_uuid"],
                            "type": "check_in",
                            "status": "created",
                            "id": EXAMPLE_UUID,
                        },
                        {
                            "index": 1,
                            "client_uuid": EXAMPLE_UUID,
                            "type": "session",
                            "status": "rejected",
                            "code": "invalid",
                            "message": "Some exercises are not in the current programme.",
                            "fields": {"exercises": [f"Unknown item {EXAMPLE_ITEM}."]},
                        },
                    ],
                    "created": 1,
                    "updated": 0,
                    "already_present": 0,
                    "rejected": 1,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        records = validated(SyncInput, request.data)["records"]
        items = [sync_item(index, record) for index, record in enumerate(records)]
        results = sync_records(patient=self.patient, items=items, now=timezone.now())
        counts = Counter(result.status for result in results)
        outcomes = ("created", "updated", "already_present", "rejected")
        body = {"results": results, **{name: counts[name] for name in outcomes}}
        return Response(SyncOutput(body, context=self.get_serializer_context()).data)


# --- Notifications ------------------------------------------------------------------------


class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationOutput
    filterset_class = NotificationFilter

    queryset = Notification.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return notifications_for(self.request.user)

    @extend_schema(
        summary="My notifications (newest first); ?unread=true for unread only",
        tags=["notifications"],
        examples=[
            OpenApiExample(
                "Reminder",
                value={
                    "id": EXAMPLE_UUID,
                    "kind": "session",
                    "title": "Time for your morning exercises",
                    "body": "",
                    "created_at": "2026-11-03T08:00:00Z",
                    "read_at": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MarkNotificationsReadApi(APIView):
    @extend_schema(
        summary="Mark notifications read (some, or all unread)",
        tags=["notifications"],
        request=MarkReadInput,
        responses=MarkReadOutput,
        examples=[
            OpenApiExample("Some", value={"ids": [EXAMPLE_UUID]}, request_only=True),
            OpenApiExample("All", value={}, request_only=True),
            OpenApiExample("Result", value={"marked": 1}, response_only=True),
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        ids = validated(MarkReadInput, request.data).get("ids")
        marked = mark_notifications_read(user=request.user, ids=ids, now=timezone.now())
        return Response({"marked": marked})


# --- Therapist: caseload, patients, flags -------------------------------------------------


class CaseloadApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    serializer_class = CaseloadRowOutput
    filter_backends: list[Any] = []  # caseload() returns rows ordered most urgent first

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return []
        return caseload(self.request.user.therapist, timezone.now())  # type: ignore[union-attr]

    @extend_schema(
        summary="My caseload: each patient's week, phase, adherence, pain and open flags",
        tags=["therapist"],
        examples=[
            OpenApiExample(
                "One patient",
                value={
                    "patient": {"id": EXAMPLE_UUID, "name": "Pat Achilles", "username": "pat"},
                    "programme": EXAMPLE_UUID,
                    "condition": "Mid-portion Achilles tendinopathy",
                    "week": 2,
                    "phase": {"position": 1, "name": "Isometric loading"},
                    "adherence_7d": 85.7,
                    "latest_pain_nrs": 3,
                    "latest_pain_on": "2026-11-10",
                    "open_flags": [],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a patient to my caseload",
        tags=["therapist"],
        request=PatientCreateInput,
        responses={201: PatientDetailOutput},
        examples=[
            OpenApiExample(
                "New patient",
                value={
                    "username": "sam.heel",
                    "first_name": "Sam",
                    "last_name": "Heel",
                    "email": "sam@example.org",
                    "time_zone": "Europe/London",
                },
                request_only=True,
            )
        ],
    )
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


class PatientDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="A patient on my caseload: weekly trends, recent sessions, open flags",
        tags=["therapist"],
        responses=PatientDetailOutput,
        examples=[
            OpenApiExample(
                "Week 2",
                value={
                    "id": EXAMPLE_UUID,
                    "name": "Pat Achilles",
                    "username": "pat",
                    "email": "pat@example.org",
                    "time_zone": "Europe/London",
                    "date_of_birth": "1985-03-02",
                    "programme": EXAMPLE_UUID,
                    "progress": {
                        "questionnaire": "visa_a",
                        "weeks": [
                            {
                                "week": 1,
                                "starts_on": "2026-11-02",
                                "pain_during": 3.5,
                                "pain_morning": 3.0,
                                "adherence": 92.9,
                                "score": 61.0,
                                "subscales": {},
                            }
                        ],
                    },
                    "recent_sessions": [],
                    "open_flags": [],
                },
            )
        ],
    )
    def get(self, request: Request, pk: str) -> Response:
        patient = visible_patient(request.user, pk)
        log_view(request.user, patient)
        context = {"zone": patient.zone}
        return Response(PatientDetailOutput(_patient_detail(patient), context=context).data)


FLAG_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "patient": {"id": EXAMPLE_UUID, "name": "Pat Achilles", "username": "pat"},
    "programme": EXAMPLE_UUID,
    "kind": "step_back",
    "severity": 2,
    "status": "open",
    "rule": "pain_during_above_limit",
    "episode": "2026-11-05",
    "message": "Pain during exercise was 7/10, above the 5/10 limit.",
    "evidence": {"pain_during": 7},
    "suggestion": "Use the easier versions.",
    "sources": ["R6"],
    "created_at": "2026-11-05T18:30:00Z",
    "acknowledged_at": None,
    "resolved_at": None,
    "resolution_note": "",
}


class FlagListApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    serializer_class = FlagOutput
    filterset_class = FlagFilter

    queryset = Flag.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return flags_visible_to(self.request.user)

    @extend_schema(
        summary="Flags on my caseload (most severe first); filter by status, kind, patient",
        tags=["therapist"],
        examples=[OpenApiExample("Step back", value=FLAG_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class FlagDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="One flag",
        tags=["therapist"],
        responses=FlagOutput,
        examples=[OpenApiExample("Step back", value=FLAG_EXAMPLE)],
    )
    def get(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        log_view(request.user, flag)
        return Response(FlagOutput(flag).data)


class AcknowledgeFlagApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Acknowledge an open flag",
        tags=["therapist"],
        request=None,
        responses=FlagOutput,
        examples=[
            OpenApiExample(
                "Acknowledged", value={**FLAG_EXAMPLE, "status": "acknowledged"}, response_only=True
            )
        ],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        flag = acknowledge_flag(flag=flag, by=request.user, now=timezone.now())
        return Response(FlagOutput(flag).data)


class ResolveFlagApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Resolve a flag, saying how",
        tags=["therapist"],
        request=ResolveFlagInput,
        responses=FlagOutput,
        examples=[
            OpenApiExample(
                "Resolved",
                value={"note": "Phoned; reduced to 2 sets for a week."},
                request_only=True,
            )
        ],
    )
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


EXPORT_DESCRIPTION = (
    "Everything held about the patient: profile, diagnoses, programmes with every revision, "
    "session logs with each exercise entry, check-ins, questionnaire responses with scores, "
    "and flags. Each export is recorded in the audit trail."
)
ZIP_RESPONSE = {
    (200, "application/zip"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="A zip of CSV files: patient.csv, diagnoses.csv, programmes.csv, "
        "programme_revisions.csv, prescribed_exercises.csv, session_logs.csv, "
        "exercise_entries.csv, check_ins.csv, questionnaire_responses.csv, flags.csv.",
        examples=[OpenApiExample("Zip", value="(binary zip file)", response_only=True)],
    )
}
EXPORT_EXAMPLE = {
    "format_version": 1,
    "exported_at": "2026-11-20T09:00:00+00:00",
    "patient": {"id": EXAMPLE_UUID, "username": "pat.achilles", "time_zone": "Europe/London"},
    "diagnoses": [],
    "programmes": [],
    "session_logs": [SESSION_OUTPUT_EXAMPLE],
    "check_ins": [],
    "questionnaire_responses": [],
    "flags": [],
}
EXPORT_EXAMPLES = [OpenApiExample("Export", value=EXPORT_EXAMPLE, response_only=True)]


class MyExportApi(PatientApi):
    @extend_schema(
        summary="Download all my data as one JSON document",
        description=EXPORT_DESCRIPTION,
        tags=["patient"],
        responses={200: OpenApiTypes.OBJECT},
        examples=EXPORT_EXAMPLES,
    )
    def get(self, request: Request) -> HttpResponse:
        return _export(self.patient, "json")


class MyExportZipApi(PatientApi):
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        summary="Download all my data as CSV files (one per kind of record) in a zip",
        description=EXPORT_DESCRIPTION,
        tags=["patient"],
        responses=ZIP_RESPONSE,
    )
    def get(self, request: Request) -> HttpResponse:
        return _export(self.patient, "zip")


class PatientExportApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Export a patient's whole record as JSON (recorded in the audit trail)",
        description=EXPORT_DESCRIPTION,
        tags=["therapist"],
        responses={200: OpenApiTypes.OBJECT},
        examples=EXPORT_EXAMPLES,
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export(visible_patient(request.user, pk), "json")


class PatientExportZipApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        summary="Export a patient's whole record as CSV files in a zip (recorded)",
        description=EXPORT_DESCRIPTION,
        tags=["therapist"],
        responses=ZIP_RESPONSE,
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export(visible_patient(request.user, pk), "zip")
