"""Everything held about a patient, downloaded through the API (JSON, or CSV files in a zip)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from patients.models import Patient
from patients.people.selectors import visible_patient
from patients.privacy import openapi
from patients.privacy.services import export_file
from patients.privacy.views import download
from patients.web import PatientApi
from rehab.api import IsTherapist


class ZipRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/zip`; errors are still the JSON body."""

    media_type = "application/zip"
    format = "zip"
    charset = None

    def render(self, data: Any, accepted_media_type: Any = None, context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


class OctetStreamRenderer(ZipRenderer):
    """The zip for a client that asks for `Accept: application/octet-stream` (the file type
    generated clients read: openapi.ZIP_RESPONSE documents both)."""

    media_type = "application/octet-stream"
    format = "bin"


ZIP_RENDERERS = [JSONRenderer, ZipRenderer, OctetStreamRenderer]


def _export(patient: Patient, fmt: str) -> HttpResponse:
    return download(export_file(patient, fmt=fmt, now=timezone.now()))


def _export_zip(request: Request, patient: Patient) -> HttpResponse:
    """The zip, typed as the client asked: `application/octet-stream` only if its Accept
    header chose that, otherwise `application/zip`."""
    response = _export(patient, "zip")
    if request.accepted_media_type == OctetStreamRenderer.media_type:
        response["Content-Type"] = OctetStreamRenderer.media_type
    return response


@extend_schema_view(**openapi.MY_EXPORT)
class MyExportApi(PatientApi):
    def get(self, request: Request) -> HttpResponse:
        return _export(self.patient, "json")


@extend_schema_view(**openapi.MY_EXPORT_ZIP)
class MyExportZipApi(PatientApi):
    renderer_classes = ZIP_RENDERERS

    def get(self, request: Request) -> HttpResponse:
        return _export_zip(request, self.patient)


@extend_schema_view(**openapi.PATIENT_EXPORT)
class PatientExportApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]

    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export(visible_patient(request.user, pk), "json")


@extend_schema_view(**openapi.PATIENT_EXPORT_ZIP)
class PatientExportZipApi(APIView):
    permission_classes = [IsAuthenticated, IsTherapist]
    renderer_classes = ZIP_RENDERERS

    def get(self, request: Request, pk: str) -> HttpResponse:
        return _export_zip(request, visible_patient(request.user, pk))
