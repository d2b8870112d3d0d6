"""Downloads of everything held about a patient: the patient's own, and their therapist's."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from patients.people.selectors import visible_patient
from patients.privacy.services import ExportFile, export_file
from patients.web import current_patient
from rehab.views import patient_required, therapist_required


def download(file: ExportFile) -> HttpResponse:
    return HttpResponse(
        file.body,
        content_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@patient_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/my_data.html", {"nav": "my_data"})


@patient_required
def my_data_export(request: HttpRequest, fmt: str) -> HttpResponse:
    return download(export_file(current_patient(request), fmt=fmt, now=timezone.now()))


@therapist_required
def patient_export(request: HttpRequest, pk: uuid.UUID, fmt: str) -> HttpResponse:
    patient = visible_patient(request.user, pk)
    return download(export_file(patient, fmt=fmt, now=timezone.now()))
