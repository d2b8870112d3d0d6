"""The forms a patient records with: a session and its exercises, the morning check-in."""

from __future__ import annotations

from typing import Any

from django import forms

from patients.activity.selectors import SWELLING_QUESTION
from patients.activity.services import ExerciseDone
from patients.forms import RecordForm, nrs_field
from programmes.models import ProgrammeItem, RedFlag
from rehab import limits
from rehab.forms import count_field


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
