from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models as db_models
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path

from programmes import models
from programmes.templatetags.figures import exercise_figure
from rehab.admin import AccessLoggedAdmin


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("code", "citation")
    search_fields = ("code", "citation")


@admin.register(models.RedFlag)
class RedFlagAdmin(admin.ModelAdmin):
    list_display = ("slug", "urgency", "check_in")
    list_filter = ("urgency", "check_in")
    search_fields = ("slug", "question", "meaning")


@admin.register(models.Timeframe)
class TimeframeAdmin(admin.ModelAdmin):
    list_display = ("slug", "after_days", "by_days", "applies_when", "metric")
    list_filter = ("applies_when",)


@admin.register(models.Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("slug", "value", "unit")


@admin.register(models.Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "home_status", "questionnaire")
    list_filter = ("home_status", "questionnaire")
    search_fields = ("slug", "name")
    filter_horizontal = ("red_flags", "timeframes")


class ExerciseMediaInline(admin.StackedInline):
    """A photo or video the clinic adds, with its credit (checked: kind, format, size)."""

    model = models.ExerciseMedia
    extra = 0
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}
    fields = ("kind", "file", "alt", "author", "licence", "source_url", "position")


@admin.register(models.Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "category", "figure", "sets", "reps", "hold_s")
    list_filter = ("category",)
    search_fields = ("slug", "name")
    autocomplete_fields = ("progression", "regression")
    readonly_fields = ("figure_preview",)
    inlines = (ExerciseMediaInline,)

    @admin.display(description="Figure as patients see it")
    def figure_preview(self, obj: models.Exercise) -> str:
        return render_to_string("programmes/_figure.html", exercise_figure(obj))

    def get_urls(self) -> list[Any]:
        gallery = path(
            "figures/",
            self.admin_site.admin_view(self.figure_gallery),
            name="programmes_exercise_figures",
        )
        return [gallery, *super().get_urls()]

    def figure_gallery(self, request: HttpRequest) -> HttpResponse:
        """Every exercise with its figure and alt text, for checking the drawings."""
        exercises = models.Exercise.objects.order_by("category", "id")
        return TemplateResponse(
            request,
            "programmes/figure_gallery.html",
            {
                **self.admin_site.each_context(request),
                "title": "Exercise figures",
                "exercises": exercises,
                "opts": self.model._meta,
            },
        )


class ProtocolItemInline(admin.TabularInline):
    model = models.ProtocolItem
    extra = 0
    autocomplete_fields = ("exercise",)


@admin.register(models.ProtocolPhase)
class ProtocolPhaseAdmin(admin.ModelAdmin):
    list_display = ("protocol", "position", "name", "start_week", "end_week")
    list_filter = ("protocol",)
    inlines = (ProtocolItemInline,)


class ProtocolPhaseInline(admin.TabularInline):
    model = models.ProtocolPhase
    extra = 0
    fields = ("position", "name", "start_week", "end_week")
    show_change_link = True


@admin.register(models.Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ("slug", "condition", "is_default")
    list_filter = ("condition",)
    inlines = (ProtocolPhaseInline,)


@admin.register(models.IceHeatRule)
class IceHeatRuleAdmin(admin.ModelAdmin):
    list_display = ("modality", "max_minutes", "min_gap_hours")


@admin.register(models.IceHeatSchedule)
class IceHeatScheduleAdmin(admin.ModelAdmin):
    list_display = ("slug", "modality", "situation", "times", "from_day", "to_day")


class ReadOnlyAdmin(AccessLoggedAdmin):
    """Revisions are immutable: visible to clinic staff, changed only through the services."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProgrammeRevisionInline(admin.TabularInline):
    model = models.ProgrammeRevision
    extra = 0
    fields = ("number", "kind", "summary", "reason", "override_reason", "changed_by", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CheckpointInline(admin.TabularInline):
    model = models.Checkpoint
    extra = 0
    fields = ("after_days", "due_on", "rule", "action", "sources")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Programme)
class ProgrammeAdmin(AccessLoggedAdmin):
    list_display = ("patient", "condition", "protocol", "status", "started_on")
    list_filter = ("status", "condition")
    readonly_fields = (
        "patient",
        "diagnosis",
        "condition",
        "protocol",
        "side",
        "started_on",
        "prescribed_by",
        "current_revision",
    )
    inlines = (ProgrammeRevisionInline, CheckpointInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # programmes are prescribed through the planner, never typed in


class ProgrammeItemInline(admin.TabularInline):
    model = models.ProgrammeItem
    extra = 0
    fields = (
        "position",
        "exercise",
        "sets",
        "reps",
        "hold_s",
        "times_per_day",
        "days_per_week",
        "load",
        "override_reason",
    )
    readonly_fields = fields
    can_delete = False


@admin.register(models.ProgrammeRevision)
class ProgrammeRevisionAdmin(ReadOnlyAdmin):
    list_display = ("programme", "number", "kind", "changed_by", "created_at")
    list_filter = ("kind",)


@admin.register(models.ProgrammePhase)
class ProgrammePhaseAdmin(ReadOnlyAdmin):
    list_display = ("revision", "position", "name")
    inlines = (ProgrammeItemInline,)


@admin.register(models.IceHeatSlot)
class IceHeatSlotAdmin(ReadOnlyAdmin):
    list_display = ("revision", "modality", "max_minutes", "times")
