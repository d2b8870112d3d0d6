from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from patients import models
from patients.privacy.services import anonymise_patient
from rehab.admin import AccessLoggedAdmin
from rehab.exceptions import DomainError


@admin.register(models.Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ("user",)
    search_fields = ("user__username", "user__last_name")


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The request this answers, e.g. a reference number. It is kept in the audit "
        "trail, so do not write the patient's name.",
    )


@admin.action(
    description="Anonymise selected patients (on their request)", permissions=["anonymise"]
)
def anonymise(
    modeladmin: PatientAdmin, request: HttpRequest, queryset: QuerySet[models.Patient]
) -> TemplateResponse | None:
    """Asks for a reason on a confirmation page first; the change cannot be undone."""
    form = AnonymiseForm(request.POST if request.POST.get("confirm") == "yes" else None)
    if form.is_bound and form.is_valid():
        done = 0
        for patient in queryset:
            try:
                anonymise_patient(
                    patient=patient,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
                done += 1
            except DomainError as error:
                modeladmin.message_user(request, f"{patient.pk}: {error.message}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"Anonymised {done} patient(s).", messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Anonymise patients",
        "patients": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/patients/anonymise_confirm.html", context)


@admin.register(models.Patient)
class PatientAdmin(AccessLoggedAdmin):
    list_display = ("user", "therapist", "time_zone", "date_of_birth", "anonymised_at")
    list_filter = ("therapist",)
    search_fields = ("user__username", "user__last_name")
    readonly_fields = ("anonymised_at",)
    actions = (anonymise,)

    def has_anonymise_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.has_perm("patients.anonymise_patient")


@admin.register(models.Diagnosis)
class DiagnosisAdmin(AccessLoggedAdmin):
    list_display = ("patient", "condition", "side", "made_on", "therapist")
    list_filter = ("condition",)
    readonly_fields = ("intake",)
