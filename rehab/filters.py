"""The base of every list filter: a query parameter given without a usable value is a 400."""

from __future__ import annotations

from typing import Any

import django_filters  # type: ignore[import-untyped]
from django import forms


class StrictFilterSet(django_filters.FilterSet):
    """A query parameter that is given must hold a usable value: `?unread=maybe` or
    `?patient=` is a 400 naming the parameter, never silently ignored."""

    def get_form_class(self) -> type[forms.Form]:
        base = super().get_form_class()

        class StrictForm(base):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                for name, field in self.fields.items():
                    suffixes = getattr(field.widget, "suffixes", None)
                    keys = [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]
                    for key in keys:
                        if key not in self.data or name in self.errors:
                            continue
                        blank = not str(self.data.get(key, "")).strip()
                        if blank or (not suffixes and cleaned.get(name) in (None, "", [])):
                            self.add_error(name, f"Give a valid value for {key} or leave it out.")
                return cleaned

        return StrictForm
