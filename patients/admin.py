from __future__ import annotations

from django.contrib import admin

from . import models


@admin.register(models.Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ("user",)
    search_fields = ("user__username", "user__last_name")


@admin.register(models.Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("user", "therapist", "time_zone", "date_of_birth")
    list_filter = ("therapist",)
    search_fields = ("user__username", "user__last_name")


@admin.register(models.Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = ("patient", "condition", "side", "made_on", "therapist")
    list_filter = ("condition",)
    readonly_fields = ("intake",)
