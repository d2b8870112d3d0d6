from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate

CLINIC_ADMINS = "Clinic admins"


class RehabConfig(AppConfig):
    default = True
    name = "rehab"
    verbose_name = "Rehab"

    def ready(self) -> None:
        from django.conf import settings

        from rehab import audit
        from rehab.env import refuse_development_key

        # First: a process with a public key stops here, before it serves or runs anything.
        refuse_development_key(secret_key=settings.SECRET_KEY, debug=settings.DEBUG)

        audit.connect_signals()
        post_migrate.connect(ensure_clinic_admins_group, dispatch_uid="rehab_clinic_admins")


def ensure_clinic_admins_group(sender: Any = None, **kwargs: Any) -> None:
    """The group whose staff members may read the audit trail in the admin (idempotent:
    runs after every migrate, once the permissions exist)."""
    from django.contrib.auth.models import Group, Permission

    permission = Permission.objects.filter(
        content_type__app_label="auditlog", codename="view_logentry"
    ).first()
    if permission is None:
        return  # auditlog's permissions are created by its own post_migrate, later
    group, _ = Group.objects.get_or_create(name=CLINIC_ADMINS)
    group.permissions.add(permission)


class RehabAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that admits only sessions that passed the second step."""

    default = False  # named in INSTALLED_APPS; RehabConfig is this module's default
    default_site = "rehab.admin_site.VerifiedAdminSite"
