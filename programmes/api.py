"""REST endpoints for the catalogue (read-only, any signed-in user) and, for therapists,
planning from an intake (a preview) and a programme's revisions. Prescribing, adjusting
(which re-plans the patient's reminders), a patient's own programme and ending one are
patient-scoped: patients/prescribing/api.py.

Visibility is rehab.roles.visible_patients: foreign objects are 404s; a patient on a
therapist-only URL gets 403.

Each view's OpenAPI documentation (summaries, bodies, examples) is in openapi.py, attached
with `@extend_schema_view`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_view
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from programmes import openapi
from programmes.filters import ConditionFilter, ExerciseFilter
from programmes.models import Condition, Exercise, ProgrammeRevision
from programmes.planner import Intake, as_dict
from programmes.selectors import programmes_visible_to
from programmes.serializers import (
    ConditionOutput,
    ExerciseOutput,
    IntakeInput,
    RevisionOutput,
)
from programmes.services import (
    preview_plan,
)
from rehab.api import IsTherapist, schema_generation, validated
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


# --- Planning and prescribing -------------------------------------------------------------


@extend_schema_view(**openapi.PLAN_PREVIEW)
class PlanPreviewApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def post(self, request: Request) -> Response:
        intake = Intake.from_dict(validated(IntakeInput, request.data))
        return Response(as_dict(preview_plan(intake=intake)))
