"""A therapist's flags through the API: list, read (each with the card it is shown in on the
patient page), acknowledge, resolve, accept a progression, apply a step back's suggestion."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.models import Flag
from patients.monitoring import openapi
from patients.monitoring.filters import FlagFilter
from patients.monitoring.selectors import flag_groups, flags_visible_to, visible_flag
from patients.monitoring.serializers import (
    ApplySuggestionInput,
    ApplySuggestionOutput,
    FlagOutput,
    ResolveFlagInput,
)
from patients.monitoring.services import (
    accept_progression,
    acknowledge_flag,
    apply_regression,
    resolve_flag,
)
from programmes.serializers import (
    RevisionOutput,
)
from rehab.api import IsTherapist, idempotent, schema_generation, validated
from rehab.audit import log_view


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

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())) or [])
        context = self.get_serializer_context() | {"flag_groups": flag_groups(page)}
        return self.get_paginated_response(FlagOutput(page, many=True, context=context).data)


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


@extend_schema_view(**openapi.ACCEPT_PROGRESSION)
class AcceptProgressionApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        revision = accept_progression(flag=flag, by=request.user, now=timezone.now())
        return Response(RevisionOutput(revision).data, status=status.HTTP_201_CREATED)


@extend_schema_view(**openapi.APPLY_SUGGESTION)
class ApplySuggestionApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        flag = visible_flag(request.user, pk)
        reason = validated(ApplySuggestionInput, request.data)["reason"]
        revisions = apply_regression(flag=flag, by=request.user, reason=reason, now=timezone.now())
        flag.refresh_from_db()
        body = {"revisions": revisions, "flag": flag}
        return Response(ApplySuggestionOutput(body).data, status=status.HTTP_201_CREATED)
