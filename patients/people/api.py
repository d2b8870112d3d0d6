"""People through the API: me (read, update), a therapist's caseload, a patient's record
(read; correct the phone and e-mail), adding a patient."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.activity.selectors import session_logs_of, weekly_progress
from patients.models import Patient
from patients.people import openapi
from patients.people.selectors import (
    caseload,
    caseload_pages,
    caseload_patients,
    visible_patient,
)
from patients.people.serializers import (
    CaseloadRowOutput,
    MeOutput,
    MeUpdateInput,
    PatientContactInput,
    PatientCreateInput,
    PatientDetailOutput,
)
from patients.people.services import create_patient, update_contact
from patients.reminders.services import update_reminder_preferences
from rehab.api import IsTherapist, idempotent, schema_generation, validated
from rehab.audit import log_view
from rehab.roles import role_of


@extend_schema_view(**openapi.ME)
class MeApi(APIView):
    def get(self, request: Request) -> Response:
        return Response(MeOutput(_me(request.user)).data)

    def patch(self, request: Request) -> Response:
        patient = getattr(request.user, "patient", None)
        if patient is None:
            raise exceptions.PermissionDenied("Only patients have reminder preferences.")
        data = validated(MeUpdateInput, request.data)
        update_reminder_preferences(patient=patient, **data, now=timezone.now())
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


@extend_schema_view(**openapi.CASELOAD)
class CaseloadApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    serializer_class = CaseloadRowOutput
    filter_backends: list[Any] = []  # caseload_patients() orders them most urgent first

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return []
        return caseload_patients(self.request.user.therapist, timezone.now())  # type: ignore[union-attr]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Page the patients in the database, then build rows for that page only: a caseload of
        # 1,000 costs the same queries as one of 100.
        therapist, now = request.user.therapist, timezone.now()  # type: ignore[union-attr]
        page = self.paginate_queryset(caseload_pages(therapist, now))  # type: ignore[arg-type]
        rows = caseload(therapist, now, patients=page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(PatientCreateInput, request.data)
        therapist = request.user.therapist  # type: ignore[union-attr]
        patient = create_patient(
            therapist=therapist,
            now=timezone.now(),
            **{**data, "password": data["password"] or None},
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

    def patch(self, request: Request, pk: str) -> Response:
        patient = visible_patient(request.user, pk)
        data = validated(PatientContactInput, request.data)
        update_contact(
            patient=patient,
            by=request.user,
            phone=data.get("phone", patient.phone),
            email=data.get("email", patient.user.email),
        )  # the web's contact form service: what was not sent is kept
        context = {"zone": patient.zone}
        return Response(PatientDetailOutput(_patient_detail(patient), context=context).data)
