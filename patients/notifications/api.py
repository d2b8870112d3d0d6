"""A user's notifications through the API: list, mark read."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.models import Notification
from patients.notifications import openapi
from patients.notifications.filters import NotificationFilter
from patients.notifications.selectors import notifications_for
from patients.notifications.serializers import MarkReadInput, NotificationOutput
from patients.notifications.services import mark_notifications_read
from rehab.api import idempotent, schema_generation, validated


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
