"""Questionnaires and a patient's responses through the API."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.activity.sync import (
    record_offline,
)
from patients.models import QuestionnaireResponse
from patients.questionnaires import openapi
from patients.questionnaires.definitions import QUESTIONNAIRES
from patients.questionnaires.filters import QuestionnaireResponseFilter
from patients.questionnaires.selectors import questionnaire_responses_of
from patients.questionnaires.serializers import (
    QuestionnaireOutput,
    QuestionnaireResponseInput,
    QuestionnaireResponseOutput,
)
from patients.web import PatientApi, recorded_response
from rehab.api import schema_generation, validated
from rehab.shortcuts import get_or_404


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
        now = timezone.now()
        values = {"logged_at": now, **data, "now": now}
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
