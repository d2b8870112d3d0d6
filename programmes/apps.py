from __future__ import annotations

from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "programmes"
