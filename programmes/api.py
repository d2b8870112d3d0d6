"""REST endpoints for the catalogue (read-only, any signed-in user) and programmes: the
patient's current programme; for therapists, planning from an intake (preview, then
prescribe), adjusting (each change a new revision with its reason; a contraindicated exercise
needs an override reason, as on the web) and ending a programme.

Visibility and roles as in patients/api.py: foreign objects are 404s; a patient on a
therapist-only collection URL gets 403, on an object URL 404.

Each view's OpenAPI documentation (summaries, bodies, examples) is in openapi.py, attached
with `@extend_schema_view`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.monitoring.selectors import pause_for, visible_flag
from patients.monitoring.services import accept_progression
from patients.people.selectors import visible_patient
from patients.people.services import end_programme, preview_plan, start_programme
from patients.prescribing.serializers import MyProgrammeOutput
from patients.web import PatientApi
from programmes import openapi, services
from programmes.filters import ConditionFilter, ExerciseFilter
from programmes.models import Condition, Exercise, Programme, ProgrammeRevision
from programmes.planner import Intake, as_dict
from programmes.selectors import active_programme, programme_detail, programmes_visible_to
from programmes.serializers import (
    AdjustmentInput,
    ConditionOutput,
    EndProgrammeOutput,
    ExerciseOutput,
    IntakeInput,
    PrescribeInput,
    ProgrammeOutput,
    RevisionOutput,
)
from programmes.services import (
    adjust_programme,
)
from rehab.api import IsTherapist, idempotent, schema_generation, validated
from rehab.audit import log_view
from rehab.roles import is_patient
from rehab.shortcuts import get_or_404

# --- Catalogue ----------------------------------------------------------------------------


@extend_schema_view(**openapi.CONDITIONS)
class ConditionListApi(generics.ListAPIView):
    serializer_class = ConditionOutput
    filterset_class = ConditionFilter
    queryset = Condition.objects.order_by("id")


@extend_schema_view(**openapi.CONDITION)
class ConditionDetailApi(generics.RetrieveAPIView):
    serializer_class = ConditionOutput
    queryset = Condition.objects.all()
    lookup_field = "slug"


class _PatientAwareContext:
    """Tells the exercise serializer whether a patient is asking (F39: no clinician notes)."""

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        user = getattr(getattr(self, "request", None), "user", None)
        return {**context, "for_patient": is_patient(user)}


@extend_schema_view(**openapi.EXERCISES)
class ExerciseListApi(_PatientAwareContext, generics.ListAPIView):
    serializer_class = ExerciseOutput
    filterset_class = ExerciseFilter
    queryset = Exercise.objects.select_related("progression", "regression").order_by("id")


@extend_schema_view(**openapi.EXERCISE)
class ExerciseDetailApi(_PatientAwareContext, generics.RetrieveAPIView):
    serializer_class = ExerciseOutput
    queryset = Exercise.objects.select_related("progression", "regression")
    lookup_field = "slug"


# --- Programmes ---------------------------------------------------------------------------


def programme_output(programme: Programme, *, for_patient: bool = False) -> dict[str, Any]:
    """`for_patient`: leave out clinician notes and source ids from the items, and say
    whether a red flag has paused the programme."""
    data = {
        "programme": programme,
        "phases": programme_detail(programme),
        "ice_heat": programme.current_revision.ice_heat_slots.all()
        if programme.current_revision
        else [],
    }
    context = {"for_patient": for_patient, "condition": programme.condition.slug}
    if for_patient:
        data["paused"] = pause_for(programme.patient)
        return MyProgrammeOutput(data, context=context).data
    return ProgrammeOutput(data, context=context).data


@extend_schema_view(**openapi.CURRENT_PROGRAMME)
class CurrentProgrammeApi(PatientApi):
    def get(self, request: Request) -> Response:
        programme = active_programme(self.patient)
        if programme is None:
            raise exceptions.NotFound("You have no active programme.")
        programme = get_or_404(programmes_visible_to(request.user), programme.pk)
        return Response(programme_output(programme, for_patient=True))


@extend_schema_view(**openapi.PROGRAMME)
class ProgrammeDetailApi(APIView):
    def get(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        log_view(request.user, programme)
        for_patient = is_patient(request.user)
        return Response(programme_output(programme, for_patient=for_patient))


@extend_schema_view(**openapi.REVISIONS)
class RevisionListApi(generics.ListAPIView):
    serializer_class = RevisionOutput

    queryset = ProgrammeRevision.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        programme = get_or_404(programmes_visible_to(self.request.user), self.kwargs["pk"])
        log_view(self.request.user, programme, what="view revisions")
        return (
            ProgrammeRevision.objects.filter(programme=programme)
            .select_related("changed_by")
            .order_by("-number")
        )


@extend_schema_view(**openapi.ADJUST_PROGRAMME)
class AdjustProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        data = validated(AdjustmentInput, request.data)
        revision = adjust_programme(
            programme=programme,
            changed_by=request.user,
            change=services.CHANGE_KINDS[data["change"]].from_dict(data),
            reason=data["reason"],
        )
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)


@extend_schema_view(**openapi.END_PROGRAMME)
class EndProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        programme = end_programme(programme=programme, by=request.user, now=timezone.now())
        return Response(EndProgrammeOutput(programme).data)


# --- Planning and prescribing -------------------------------------------------------------


@extend_schema_view(**openapi.PLAN_PREVIEW)
class PlanPreviewApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def post(self, request: Request) -> Response:
        intake = Intake.from_dict(validated(IntakeInput, request.data))
        return Response(as_dict(preview_plan(intake=intake)))


@extend_schema_view(**openapi.PRESCRIBE)
class PrescribeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        patient = visible_patient(request.user, pk)
        data = validated(PrescribeInput, request.data)
        today = timezone.localdate(timezone=patient.zone)
        programme = start_programme(
            patient=patient,
            therapist=request.user.therapist,  # type: ignore[union-attr]
            intake=Intake.from_dict(data["intake"]),
            made_on=data.get("made_on", today),
            started_on=data.get("started_on", today),
            notes=data["notes"],
        )
        programme = get_or_404(programmes_visible_to(request.user), programme.pk)
        return Response(programme_output(programme), status=status.HTTP_201_CREATED)


@extend_schema_view(**openapi.ACCEPT_PROGRESSION)
class AcceptProgressionApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        revision = accept_progression(flag=flag, by=request.user, now=timezone.now())
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)
