from __future__ import annotations

from django.apps import AppConfig


class RehabConfig(AppConfig):
    name = "rehab"
    verbose_name = "Rehab"
