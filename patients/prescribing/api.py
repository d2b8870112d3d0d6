"""A patient's programme through the API: the patient's own (current, or one by id), and for
therapists prescribing one from an intake and ending it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.people.selectors import visible_patient
from patients.prescribing import openapi
from patients.prescribing.selectors import my_programme
from patients.prescribing.serializers import MyProgrammeOutput
from patients.prescribing.services import end_programme, revise_programme, start_programme
from patients.schedule import local_today
from patients.web import PatientApi
from programmes.models import Programme
from programmes.planner import Intake
from programmes.selectors import active_programme, programme_detail, programmes_visible_to
from programmes.serializers import (
    AdjustmentInput,
    EndProgrammeInput,
    EndProgrammeOutput,
    PrescribeInput,
    ProgrammeOutput,
    RevisionOutput,
)
from programmes.services import CHANGE_KINDS
from rehab.api import IsTherapist, idempotent, validated
from rehab.audit import log_view
from rehab.roles import is_patient
from rehab.shortcuts import get_or_404


def programme_output(programme: Programme, *, for_patient: bool = False) -> dict[str, Any]:
    """`for_patient`: the patient's whole programme as My programme shows it (no clinician
    notes or source ids; warning signs, review dates, the pause)."""
    context = {"for_patient": for_patient, "condition": programme.condition.slug}
    if for_patient:
        today = local_today(programme.patient, timezone.now())
        return MyProgrammeOutput(my_programme(programme, today=today), context=context).data
    data = {
        "programme": programme,
        "phases": programme_detail(programme),
        "ice_heat": programme.current_revision.ice_heat_slots.all()
        if programme.current_revision
        else [],
    }
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


@extend_schema_view(**openapi.END_PROGRAMME)
class EndProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        reason = validated(EndProgrammeInput, request.data)["reason"]
        programme = end_programme(
            programme=programme, by=request.user, now=timezone.now(), reason=reason
        )
        return Response(EndProgrammeOutput(programme).data)


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
            now=timezone.now(),
        )
        programme = get_or_404(programmes_visible_to(request.user), programme.pk)
        return Response(programme_output(programme), status=status.HTTP_201_CREATED)


@extend_schema_view(**openapi.ADJUST_PROGRAMME)
class AdjustProgrammeApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        programme = get_or_404(programmes_visible_to(request.user), pk)
        data = validated(AdjustmentInput, request.data)
        revision = revise_programme(
            programme=programme,
            changed_by=request.user,
            change=CHANGE_KINDS[data["change"]].from_dict(data),
            reason=data["reason"],
            now=timezone.now(),
        )
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)
