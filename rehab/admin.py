"""The audit trail in the admin: readable by clinic admins (staff in the "Clinic admins"
group, or superusers), never added to, changed or deleted."""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from rehab.audit import log_access

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    search_fields = ["object_pk", "cid", "actor__username"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "resource_url", "remote_addr", "cid"]}),
        ("Changes", {"fields": ["action", "msg", "additional_data"]}),
    ]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "remote_addr", "cid", "additional_data"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AccessLoggedAdmin(admin.ModelAdmin):
    """For patient records: opening one in the admin is recorded like a therapist's view."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and obj is not None:
            log_access(obj, what="admin view")
        return response
