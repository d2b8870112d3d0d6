"""The therapist's forms for adding a patient and correcting their contact details."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from patients.forms import TimeZoneField
from patients.models.people import PHONE_HELP, validate_phone
from patients.people.services import patient_account_problems


def phone_field() -> forms.CharField:
    return forms.CharField(
        label="Phone",
        required=False,
        max_length=20,
        validators=[validate_phone],
        help_text=f"Optional. {PHONE_HELP}",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class ContactForm(forms.Form):
    """How the clinic reaches the patient (people/services.py update_contact)."""

    phone = phone_field()
    email = forms.EmailField(
        label="E-mail", required=False, help_text="Needed for an invitation and reminders."
    )


class PatientForm(forms.Form):
    SETUP_CHOICES = [
        ("password", "Set a first password now (tell the patient in person)"),
        ("invite", "E-mail the patient a link to choose their own password"),
    ]

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    username = forms.CharField(
        max_length=150, help_text="What the patient types to sign in, e.g. alex.morgan."
    )
    email = forms.EmailField(required=False, help_text="Needed for an invitation and reminders.")
    phone = phone_field()
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    time_zone = TimeZoneField(
        initial="Europe/London",
        help_text="Where the patient lives: 'today' and reminders follow their own clock.",
    )
    setup = forms.ChoiceField(
        label="Account set-up", choices=SETUP_CHOICES, initial="invite", widget=forms.RadioSelect
    )
    password = forms.CharField(
        label="First password",
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=True),
        help_text="At least 8 characters, not only numbers, not a common password.",
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        """Every problem in one pass: the service's own checks (username, date of birth,
        password policy) run on whatever fields did read, beside the form's own errors."""
        data = super().clean() or {}
        if data.get("setup") == "password" and not data.get("password"):
            self.add_error("password", "Enter a first password, or send an invitation.")
        if data.get("setup") == "invite" and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "An invitation needs the patient's e-mail address.")
        problems = patient_account_problems(
            **{k: data.get(k) or "" for k in ("username", "first_name", "last_name", "email")},
            password=data.get("password") if data.get("setup") == "password" else None,
            date_of_birth=data.get("date_of_birth"),
            today=self.today,
        )
        for name, messages in problems.items():
            if name in self.fields and name not in self.errors:
                for message in messages:
                    self.add_error(name, message)
        return data
