"""REST endpoints for the catalogue (read-only, any signed-in user) and programmes: the
patient's current programme; for therapists, planning from an intake (preview, then
prescribe), adjusting (each change a new revision with its reason; a contraindicated exercise
needs an override reason, as on the web) and ending a programme.

Visibility and roles as in patients/api.py: foreign objects are 404s; a patient on a
therapist-only collection URL gets 403, on an object URL 404."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.api import EXAMPLE_ITEM, EXAMPLE_UUID, PatientApi, schema_generation, validated
from patients.filters import ConditionFilter, ExerciseFilter
from patients.selectors import get_or_404, programmes_visible_to
from patients.serializers import MyProgrammeOutput
from rehab.api import IsTherapist, idempotent
from rehab.audit import log_view
from rehab.roles import is_patient

from . import services
from .models import Condition, Exercise, Programme, ProgrammeRevision
from .planner import Intake, as_dict
from .serializers import (
    AdjustmentInput,
    ConditionOutput,
    EndProgrammeOutput,
    ExerciseOutput,
    IntakeInput,
    PlanOutput,
    PrescribeInput,
    ProgrammeOutput,
    RevisionOutput,
)

# --- Catalogue ----------------------------------------------------------------------------

EXERCISE_EXAMPLE = {
    "slug": "isometric_calf_hold",
    "name": "Isometric calf hold",
    "category": "isometric",
    "movement_tags": ["weight_bearing"],
    "instructions": ["Stand on both feet…", "Rise onto the balls of your feet and hold."],
    "cautions": "",
    "patient_cautions": {"all": ["Stand close to a wall so you can steady yourself."]},
    "dose": {
        "sets": 5,
        "reps": 1,
        "reps_max": None,
        "hold_s": 45,
        "times_per_day": 1,
        "days_per_week": 7,
        "load": "",
        "tempo": "",
        "rest_s": 120,
        "dose_notes": "",
    },
    "sources": ["R6"],
    "progression": None,
    "regression": None,
}
CONDITION_EXAMPLE = {
    "slug": "achilles_midportion",
    "name": "Mid-portion Achilles tendinopathy",
    "summary": "…",
    "home_status": "home",
    "contraindicated_tags": [],
    "questionnaire": "visa_a",
    "refer_when": "",
    "sources": ["SEED-001"],
}


class ConditionListApi(generics.ListAPIView):
    serializer_class = ConditionOutput
    filterset_class = ConditionFilter
    queryset = Condition.objects.order_by("id")

    @extend_schema(
        summary="Conditions the planner knows (catalogue, read-only)",
        tags=["catalogue"],
        examples=[OpenApiExample("Condition", value=CONDITION_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ConditionDetailApi(generics.RetrieveAPIView):
    serializer_class = ConditionOutput
    queryset = Condition.objects.all()
    lookup_field = "slug"

    @extend_schema(
        summary="One condition",
        tags=["catalogue"],
        examples=[OpenApiExample("Condition", value=CONDITION_EXAMPLE)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class _PatientAwareContext:
    """Tells the exercise serializer whether a patient is asking (F39: no clinician notes)."""

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        user = getattr(getattr(self, "request", None), "user", None)
        return {**context, "for_patient": is_patient(user)}


class ExerciseListApi(_PatientAwareContext, generics.ListAPIView):
    serializer_class = ExerciseOutput
    filterset_class = ExerciseFilter
    queryset = Exercise.objects.select_related("progression", "regression").order_by("id")

    @extend_schema(
        summary="Exercises with instructions and default doses (catalogue, read-only)",
        tags=["catalogue"],
        examples=[OpenApiExample("Exercise", value=EXERCISE_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ExerciseDetailApi(_PatientAwareContext, generics.RetrieveAPIView):
    serializer_class = ExerciseOutput
    queryset = Exercise.objects.select_related("progression", "regression")
    lookup_field = "slug"

    @extend_schema(
        summary="One exercise",
        tags=["catalogue"],
        examples=[OpenApiExample("Exercise", value=EXERCISE_EXAMPLE)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- Programmes ---------------------------------------------------------------------------

PROGRAMME_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "patient": EXAMPLE_UUID,
    "condition": "achilles_midportion",
    "condition_name": "Mid-portion Achilles tendinopathy",
    "protocol": "achilles_midportion_hsr",
    "protocol_name": "Heavy slow resistance",
    "side": "right",
    "status": "active",
    "started_on": "2026-11-02",
    "revision": 1,
    "current_phase": 1,
    "phases": [
        {
            "position": 1,
            "name": "Isometric loading",
            "start_week": 1,
            "end_week": 2,
            "goals": ["Settle pain"],
            "progression_criteria": ["Pain ≤ 3/10"],
            "advice": [],
            "sources": ["R6"],
            "items": [
                {
                    "key": EXAMPLE_ITEM,
                    "position": 1,
                    "exercise": {
                        "slug": "isometric_calf_hold",
                        "name": "Isometric calf hold",
                        "category": "isometric",
                        "movement_tags": ["weight_bearing"],
                        "instructions": ["Rise onto the balls of your feet and hold."],
                        "cautions": "",
                        "patient_cautions": [],
                    },
                    "sets": 5,
                    "reps": 1,
                    "reps_max": None,
                    "hold_s": 45,
                    "times_per_day": 1,
                    "days_per_week": 7,
                    "load": "",
                    "tempo": "",
                    "rest_s": 120,
                    "dose_notes": "",
                    "override_reason": "",
                    "sources": ["R6"],
                }
            ],
        }
    ],
    "ice_heat": [],
}


def programme_output(programme: Programme, *, for_patient: bool = False) -> dict[str, Any]:
    """`for_patient`: leave out clinician notes and source ids from the items, and say
    whether a red flag has paused the programme."""
    data = {
        "programme": programme,
        "phases": patient_selectors.programme_detail(programme),
        "ice_heat": programme.current_revision.ice_heat_slots.all()
        if programme.current_revision
        else [],
    }
    context = {"for_patient": for_patient, "condition": programme.condition.slug}
    if for_patient:
        data["paused"] = patient_selectors.pause_for(programme.patient)
        return MyProgrammeOutput(data, context=context).data
    return ProgrammeOutput(data, context=context).data


class CurrentProgrammeApi(PatientApi):
    @extend_schema(
        summary="My current programme: phases, items, exercise instructions, ice/heat",
        tags=["patient"],
        responses=MyProgrammeOutput,
        examples=[OpenApiExample("Programme", value=PROGRAMME_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        programme = patient_selectors.active_programme(self.patient)
        if programme is None:
            raise exceptions.NotFound("You have no active programme.")
        programme = get_or_404(programmes_visible_to(request.user), programme.pk)
        return Response(programme_output(programme, for_patient=True))


class ProgrammeDetailApi(APIView):
    @extend_schema(
        summary="A programme (the patient's own, or on the therapist's caseload)",
        tags=["programmes"],
        responses=ProgrammeOutput,
        examples=[OpenApiExample("Programme", value=PROGRAMME_EXAMPLE)],
    )
    def get(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        log_view(request.user, programme)
        for_patient = is_patient(request.user)
        return Response(programme_output(programme, for_patient=for_patient))


REVISION_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "number": 2,
    "kind": "dose_changed",
    "reason": "Pain settled; more load.",
    "summary": "Isometric calf hold: 5 × 45 s → 5 × 60 s",
    "override_reason": "",
    "changed_by": "Dana Therapist",
    "current_phase": 1,
    "created_at": "2026-11-09T10:00:00Z",
}


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

    @extend_schema(
        summary="A programme's revision history (newest first): who, when, why",
        tags=["programmes"],
        examples=[OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AdjustProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Adjust a programme: one change, recorded as a new revision with its reason",
        tags=["programmes"],
        request=AdjustmentInput,
        responses={201: RevisionOutput},
        examples=[
            OpenApiExample(
                "Change a dose",
                value={
                    "change": "change_dose",
                    "item": EXAMPLE_ITEM,
                    "dose": {"hold_s": 60},
                    "reason": "Pain settled; more load.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Swap with an override",
                value={
                    "change": "swap_exercise",
                    "item": EXAMPLE_ITEM,
                    "exercise": "eccentric_heel_drop_straight_knee",
                    "override_reason": "Cleared by the surgeon at review.",
                    "reason": "Ready for eccentric loading.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Move phase",
                value={"change": "move_phase", "to_phase": 2, "reason": "Criteria met."},
                request_only=True,
            ),
            OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True),
        ],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        data = validated(AdjustmentInput, request.data)
        revision = services.adjust_programme(
            programme=programme,
            changed_by=request.user,
            change=services.CHANGE_KINDS[data["change"]].from_dict(data),
            reason=data["reason"],
        )
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)


class EndProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="End a programme (discharge); it stays on record and reminders stop",
        tags=["programmes"],
        request=None,
        responses=EndProgrammeOutput,
        examples=[
            OpenApiExample(
                "Ended", value={"id": EXAMPLE_UUID, "status": "ended"}, response_only=True
            )
        ],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        programme = patient_services.end_programme(
            programme=programme, by=request.user, now=timezone.now()
        )
        return Response(EndProgrammeOutput(programme).data)


# --- Planning and prescribing -------------------------------------------------------------

INTAKE_EXAMPLE = {
    "condition": "achilles_midportion",
    "side": "right",
    "irritability": "moderate",
    "swelling": "no",
    "recent_injury": "no",
    "age": 44,
}


class PlanPreviewApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Preview the planner's programme (or referral) for an intake; stores nothing",
        tags=["programmes"],
        request=IntakeInput,
        responses=PlanOutput,
        examples=[
            OpenApiExample("Intake", value=INTAKE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Referral",
                value={
                    "status": "referral",
                    "condition": "ankle_sprain",
                    "protocol": None,
                    "side": None,
                    "warnings": [],
                    "referral": {
                        "urgency": "urgent",
                        "reasons": [
                            {"code": "cannot_bear_weight", "message": "…", "sources": ["R20"]}
                        ],
                    },
                    "phases": [],
                    "ice_heat": [],
                    "checkpoints": [],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        intake = Intake.from_dict(validated(IntakeInput, request.data))
        return Response(as_dict(patient_services.preview_plan(intake=intake)))


class PrescribeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Prescribe: diagnose from an intake and start the planner's programme",
        description="Refused (400, code `referral`) when the planner refers instead, and "
        "(code `active_programme_exists`) while the patient has an active programme.",
        tags=["programmes"],
        request=PrescribeInput,
        responses={201: ProgrammeOutput},
        examples=[
            OpenApiExample(
                "Prescribe",
                value={"intake": INTAKE_EXAMPLE, "started_on": "2026-11-02", "notes": ""},
                request_only=True,
            ),
            OpenApiExample("Programme", value=PROGRAMME_EXAMPLE, response_only=True),
        ],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        patient = patient_selectors.visible_patient(request.user, pk)
        data = validated(PrescribeInput, request.data)
        today = timezone.localdate(timezone=patient.zone)
        programme = patient_services.start_programme(
            patient=patient,
            therapist=request.user.therapist,  # type: ignore[union-attr]
            intake=Intake.from_dict(data["intake"]),
            made_on=data.get("made_on", today),
            started_on=data.get("started_on", today),
            notes=data["notes"],
        )
        programme = get_or_404(programmes_visible_to(request.user), programme.pk)
        return Response(programme_output(programme), status=status.HTTP_201_CREATED)


class AcceptProgressionApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @extend_schema(
        summary="Accept a 'ready to progress' flag: advance a phase and resolve the flag",
        tags=["therapist"],
        request=None,
        responses={201: RevisionOutput},
        examples=[OpenApiExample("Revision", value=REVISION_EXAMPLE, response_only=True)],
    )
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = patient_selectors.visible_flag(request.user, pk)
        revision = patient_services.accept_progression(
            flag=flag, by=request.user, now=timezone.now()
        )
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)
