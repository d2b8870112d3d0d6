"""The audit trail in the admin: readable by clinic admins (staff in the "Clinic admins"
group, or superusers), never added to, changed or deleted."""

from __future__ import annotations

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehab import two_factor
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


# --- Two-step sign-in (rehab/two_factor.py) ------------------------------------------------
# django-otp's own admin pages show each secret and recovery code: not for anyone's eyes.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin, with whether two-step sign-in is on and a reset for someone who
    lost their phone (audited; they set up an app again at their next sign-in)."""

    list_display = ("username", "email", "first_name", "last_name", "is_staff", "two_step")
    actions = ["reset_two_step"]

    @admin.display(description="Two-step sign-in", boolean=True)
    def two_step(self, obj: Any) -> bool:
        return two_factor.has_two_factor(obj)

    @admin.action(description="Reset two-step sign-in (lost phone)", permissions=["change"])
    def reset_two_step(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            two_factor.turn_off(user=user, by=request.user)
        self.message_user(
            request,
            f"Two-step sign-in reset for {queryset.count()} account(s): they set up an app "
            "again at their next sign-in (therapists and staff must).",
            messages.SUCCESS,
        )
