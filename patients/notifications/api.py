"""A user's notifications through the API (list, mark read), and the mobile apps' devices
(register, list, remove; logging out removes this one too)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.models import Device, Notification
from patients.notifications import openapi
from patients.notifications.devices import devices_of, register_device, remove_devices
from patients.notifications.filters import NotificationFilter
from patients.notifications.selectors import notifications_for
from patients.notifications.serializers import (
    DeviceInput,
    DeviceOutput,
    LogoutInput,
    MarkReadInput,
    NotificationOutput,
)
from patients.notifications.services import mark_notifications_read
from patients.web import PatientApi
from rehab import api_auth
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


@extend_schema_view(**openapi.DEVICES)
class DeviceListApi(PatientApi, generics.ListAPIView):
    serializer_class = DeviceOutput
    queryset = Device.objects.none()

    def get_queryset(self) -> Any:
        if schema_generation(self):
            return self.queryset
        return devices_of(self.patient)

    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(DeviceInput, request.data)
        device, created = register_device(patient=self.patient, **data, now=timezone.now())
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(DeviceOutput(device).data, status=code)


@extend_schema_view(**openapi.DEVICE)
class DeviceDetailApi(PatientApi):
    def delete(self, request: Request, pk: str) -> Response:
        if not remove_devices(patient=self.patient, pk=pk):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(**openapi.LOGOUT)
class LogoutApi(api_auth.LogoutApi):
    """Knox's logout of this device's token, which also removes this device's push
    registration when the app names it (here, not in rehab/: devices are the patients')."""

    def post(self, request: Request, format: Any = None) -> Response:
        data = validated(LogoutInput, request.data)
        patient = getattr(request.user, "patient", None)
        if patient is not None:
            remove_devices(
                patient=patient, pk=data.get("device_id"), token=data.get("device_token")
            )
        return super().post(request, format)
