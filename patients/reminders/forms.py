"""The reminder preferences form: which reminders, at what times, in which time zone."""

from __future__ import annotations

from django import forms

from patients.forms import TimeZoneField


class PreferencesForm(forms.Form):
    session_times = forms.CharField(
        label="Exercise session times",
        max_length=100,  # six "HH:MM" and commas fit many times over
        help_text="24-hour clock, separated by commas, e.g. 08:00, 18:00 (up to 6).",
    )
    time_zone = TimeZoneField()
    email_reminders = forms.BooleanField(label="Send me reminders by e-mail", required=False)

    def times(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["session_times"].split(",") if t.strip()]
