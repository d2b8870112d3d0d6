"""The reminder preferences form: which reminders, at what times, in which time zone, and the
channels they take besides the in-app notice."""

from __future__ import annotations

from django import forms

from patients.forms import TimeZoneField

# The channels a patient chooses (the in-app notice is always on; the calendar is its link).
CHANNELS = ("email_reminders", "push_reminders", "mobile_reminders")


class PreferencesForm(forms.Form):
    session_times = forms.CharField(
        label="Exercise session times",
        max_length=100,  # six "HH:MM" and commas fit many times over
        help_text="24-hour clock, separated by commas, e.g. 08:00, 18:00 (up to 6).",
    )
    time_zone = TimeZoneField()
    email_reminders = forms.BooleanField(label="E-mail", required=False)
    push_reminders = forms.BooleanField(
        label="Notifications in this browser or home-screen app", required=False
    )
    mobile_reminders = forms.BooleanField(label="Notifications in the clinic's app", required=False)

    def __init__(self, *args: object, offered: set[str], **kwargs: object) -> None:
        """`offered`: the channels this clinic has set up (a channel it has not is left out
        of the form, so saving the form leaves the patient's choice for it as it was)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for channel in CHANNELS:
            if channel not in offered:
                del self.fields[channel]

    def times(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["session_times"].split(",") if t.strip()]

    def channels(self) -> dict[str, bool]:
        """The channel choices on the form (only those offered)."""
        return {c: self.cleaned_data[c] for c in CHANNELS if c in self.fields}
