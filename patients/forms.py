"""Forms for the web pages. They check the shape of what was typed; the services decide.

Every form that records something carries a hidden `client_uuid`, made when the form is first
shown, so a double-submitted form is one record (the services are idempotent on it)."""

from __future__ import annotations

import uuid
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from patients.questionnaires import NOT_APPLICABLE, Questionnaire
from patients.selectors import SWELLING_QUESTION
from patients.services import ExerciseDone, password_problems
from programmes.models import ProgrammeItem, RedFlag
from rehab import limits
from rehab.exceptions import DomainError
from rehab.limits import Bounds

NRS_HELP = "0 = no pain, 10 = the worst pain you can imagine."


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a refused request on the form: each field's messages beside that field, the rest
    and the overall message at the top. The typed values stay (the form is still bound)."""
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if error.message not in form.non_field_errors():
        form.add_error(None, error.message)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def nrs_field(
    label: str, *, required: bool = True, help_text: str = NRS_HELP
) -> forms.IntegerField:
    """A 0–10 pain rating (numeric rating scale) with a plain-words error message."""
    message = "Enter a whole number from 0 to 10."
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=10,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def count_field(label: str, *, bounds: Bounds, initial: int | None = None) -> forms.IntegerField:
    message = bounds.message
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=bounds.minimum,
        max_value=bounds.maximum,
        initial=initial,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RecordForm(forms.Form):
    """A form whose submission must be stored once: its UUID is fixed when first shown."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_uuid", uuid.uuid4())
        super().__init__(*args, **kwargs)


# --- Therapist ------------------------------------------------------------------------------


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
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("setup") == "password":
            if not data.get("password"):
                self.add_error("password", "Enter a first password, or send an invitation.")
            else:
                # The service's policy, checked here too so every field is reported at once.
                user = get_user_model()(
                    **{k: data.get(k) or "" for k in ("username", "first_name", "last_name")},
                    email=data.get("email") or "",
                )
                for problem in password_problems(data["password"], user=user):
                    self.add_error("password", problem)
        if data.get("setup") == "invite" and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "An invitation needs the patient's e-mail address.")
        return data


class ResolveFlagForm(forms.Form):
    note = forms.CharField(
        label="How was it resolved?",
        max_length=5000,  # as the API (ResolveFlagInput)
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the flag, e.g. 'Phoned the patient; seen in clinic today.'",
    )


# --- Patient --------------------------------------------------------------------------------


class CheckInForm(RecordForm):
    YES_NO = [("no", "No"), ("yes", "Yes")]

    morning_pain_nrs = nrs_field("Pain when you got up this morning")
    stiffness_minutes = forms.IntegerField(
        label="Minutes of stiffness after getting up",
        min_value=0,
        max_value=24 * 60,
        help_text="0 if it was not stiff.",
        error_messages={
            "min_value": "Enter the minutes, from 0 to 1440.",
            "max_value": "Enter the minutes, from 0 to 1440.",
            "invalid": "Enter the minutes as a whole number.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    swelling = forms.ChoiceField(
        label=SWELLING_QUESTION,
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )

    def __init__(self, *args: Any, questions: list[RedFlag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for flag in questions:
            self.fields[f"flag_{flag.slug}"] = forms.ChoiceField(
                label=flag.question,
                choices=self.YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": "Answer yes or no."},
            )

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"flag_{flag.slug}"] for flag in self.questions]

    def red_flags(self) -> list[str]:
        return [f.slug for f in self.questions if self.cleaned_data[f"flag_{f.slug}"] == "yes"]


class SessionLogForm(RecordForm):
    """What was done in one session, per exercise (prefilled with the prescribed dose), or
    'skipped' with a reason."""

    pain_after_nrs = nrs_field("Pain after the session", required=False)
    skipped = forms.BooleanField(label="I skipped this session", required=False)
    skip_reason = forms.CharField(
        label="Why was it skipped?",
        required=False,
        max_length=2000,  # as the API (SessionChangeInput)
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, items: list[ProgrammeItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            prefix = str(item.key)
            self.fields[f"{prefix}-sets_done"] = count_field(
                "Sets done", bounds=limits.DONE_SETS, initial=item.sets
            )
            if item.reps is not None or item.hold_s is None:
                self.fields[f"{prefix}-reps_done"] = count_field(
                    "Reps per set", bounds=limits.DONE_REPS, initial=item.reps
                )
            if item.hold_s is not None:
                self.fields[f"{prefix}-hold_s_done"] = count_field(
                    "Hold (seconds)", bounds=limits.DONE_HOLD_S, initial=item.hold_s
                )
            self.fields[f"{prefix}-load"] = forms.CharField(
                label="Load",
                required=False,
                max_length=100,
                widget=forms.TextInput(attrs={"placeholder": "e.g. body weight, 5 kg"}),
            )
            self.fields[f"{prefix}-pain_during_nrs"] = nrs_field(
                "Pain during (0–10)", required=False, help_text=""
            )

    def item_rows(self) -> list[tuple[ProgrammeItem, list[forms.BoundField]]]:
        return [
            (item, [self[name] for name in self.fields if name.startswith(f"{item.key}-")])
            for item in self.items
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("skipped") and not (data.get("skip_reason") or "").strip():
            self.add_error("skip_reason", "Say why the session was skipped.")
        return data

    def exercises(self) -> list[ExerciseDone]:
        data = self.cleaned_data
        return [
            ExerciseDone(
                item_key=item.key,
                sets_done=data.get(f"{item.key}-sets_done"),
                reps_done=data.get(f"{item.key}-reps_done"),
                hold_s_done=data.get(f"{item.key}-hold_s_done"),
                load=data.get(f"{item.key}-load", ""),
                pain_during_nrs=data.get(f"{item.key}-pain_during_nrs"),
            )
            for item in self.items
        ]

    @classmethod
    def initial_from(cls, log: Any) -> dict[str, Any]:
        """A stored log as form values, so logging the same slot again starts from it."""
        initial: dict[str, Any] = {
            "pain_after_nrs": log.pain_after_nrs,
            "skipped": log.status == "skipped",
            "skip_reason": log.skip_reason,
        }
        for entry in log.exercises.all():
            for name in ("sets_done", "reps_done", "hold_s_done", "load", "pain_during_nrs"):
                initial[f"{entry.item_key}-{name}"] = getattr(entry, name)
        return initial


class QuestionnaireForm(RecordForm):
    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for item in questionnaire.items:
            if item.choices:
                choices = [(str(c.value), c.label) for c in item.choices]
                if item.allow_not_applicable:
                    choices.append((NOT_APPLICABLE, "Not applicable"))
                self.fields[item.key] = forms.ChoiceField(
                    label=item.text,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer."},
                    help_text=item.note,
                )
            else:
                self.fields[item.key] = forms.IntegerField(
                    label=item.text,
                    min_value=item.minimum,
                    max_value=item.maximum,
                    help_text=item.unit,
                )

    def answers(self) -> dict[str, object]:
        return {
            item.key: (
                value if (value := self.cleaned_data[item.key]) == NOT_APPLICABLE else int(value)
            )
            for item in self.questionnaire.items
        }


class PreferencesForm(forms.Form):
    session_times = forms.CharField(
        label="Exercise session times",
        max_length=100,  # six "HH:MM" and commas fit many times over
        help_text="24-hour clock, separated by commas, e.g. 08:00, 18:00 (up to 6).",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    email_reminders = forms.BooleanField(label="Send me reminders by e-mail", required=False)

    def times(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["session_times"].split(",") if t.strip()]
