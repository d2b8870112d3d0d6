"""Forms for prescribing and adjusting programmes on the web. Shape only: the planner and the
services decide what is safe (contraindications, referrals, valid doses)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.html import escape

from programmes.models import Exercise, Programme, ProgrammePhase, RedFlag
from programmes.planner import (
    ACTIVITIES,
    Intake,
    IntakeError,
    contraindicated_tags,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from programmes.services import (
    AddExercise,
    Change,
    ChangeDose,
    MovePhase,
    RemoveExercise,
    SwapExercise,
)
from programmes.text import describe_dose
from programmes.vocab import (
    Answer,
    Comorbidity,
    DvtRisk,
    Irritability,
    Onset,
    OttawaResult,
    Side,
    ThompsonResult,
)
from rehab import limits
from rehab.exceptions import DomainError
from rehab.forms import add_domain_error
from rehab.limits import Bounds

BLANK = [("", "Not recorded")]
ANSWER_REQUIRED = "Answer yes, no or not known."
# Always required; the screening answers a diagnosis needs are added by the planner's check.
REQUIRED_ANSWERS = ("swelling", "recent_injury", "age")
# The ProgrammeForm fields that are Intake fields of the same name; `cannot_bear_weight` is
# the one asked the other way round (FORM_FIELD_FOR names it for the planner's errors).
INTAKE_FIELDS = (
    "condition",
    "side",
    "protocol",
    "onset",
    "onset_date",
    "irritability",
    "activity",
    "age",
    "weeks_since_surgery",
    "swelling",
    "recent_injury",
    "circulation_or_sensation_problems",
    "ottawa",
    "thompson",
    "cauda_equina",
    "comorbidities",
    "dvt_risks",
    "cleared",
    "red_flags",
)
FORM_FIELD_FOR = {"able_to_bear_weight": "cannot_bear_weight"}


def _answer(label: str, help_text: str = "") -> forms.ChoiceField:
    """A required yes / no / not known question: an unticked box is not an answer (F1)."""
    return forms.ChoiceField(
        label=label,
        choices=Answer.choices,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": ANSWER_REQUIRED},
    )


def _optional_int(label: str, *, minimum: int, maximum: int, help_text: str = "") -> forms.Field:
    message = f"Enter a whole number from {minimum} to {maximum}."
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
    )


def _bounded_int(label: str, bounds: Bounds) -> forms.Field:
    return _optional_int(label, minimum=bounds.minimum, maximum=bounds.maximum)


class PatientChoiceField(forms.ModelChoiceField):
    """A patient of the caseload; those already on a programme are marked."""

    active: frozenset[Any] = frozenset()

    def label_from_instance(self, obj: Any) -> str:
        active = " (has an active programme)" if obj.pk in self.active else ""
        return f"{obj} — {obj.user.get_username()}{active}"


class ProgrammeForm(forms.Form):
    """The diagnosis and the planner's intake, plus when the programme starts."""

    patient = PatientChoiceField(queryset=None, empty_label="Choose a patient")
    condition = forms.ChoiceField(label="Diagnosis")
    side = forms.ChoiceField(label="Affected side", choices=Side.choices, widget=forms.RadioSelect)
    protocol = forms.ChoiceField(
        required=False, help_text="Leave on the default unless you have a reason to choose."
    )
    onset = forms.ChoiceField(required=False, choices=BLANK + list(Onset.choices))
    onset_date = forms.DateField(
        required=False,
        label="Date symptoms began",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    irritability = forms.ChoiceField(required=False, choices=BLANK + list(Irritability.choices))
    activity = forms.ChoiceField(
        required=False,
        choices=BLANK + [(a, a.replace("_", " ").capitalize()) for a in ACTIVITIES],
    )
    age = _optional_int("Age (years)", minimum=0, maximum=120)  # required: see __init__
    weeks_since_surgery = _optional_int(
        "Weeks since surgery", minimum=0, maximum=520, help_text="Blank if there was no surgery."
    )
    swelling = _answer("Swelling", "Not known: no heat is offered.")
    recent_injury = _answer(
        "Recent injury",
        "Within the last few days. A sprain or strain counts as recent unless the onset date "
        "is older.",
    )
    circulation_or_sensation_problems = forms.BooleanField(
        required=False, label="Problems with circulation or feeling in the feet"
    )
    cannot_bear_weight = forms.BooleanField(required=False, label="Cannot bear weight")
    # Structured screening: which are required depends on the diagnosis (clean() asks the
    # planner), so the form fields themselves are optional.
    ottawa = forms.ChoiceField(
        required=False,
        label="Ottawa ankle and foot rules",
        choices=BLANK + list(OttawaResult.choices),
        help_text="Required for a sprain or a suspected fracture. Positive or not assessed: "
        "same-day X-ray referral.",
    )
    thompson = forms.ChoiceField(
        required=False,
        label="Thompson (calf-squeeze) test",
        choices=BLANK + list(ThompsonResult.choices),
        help_text="Required for acute calf or Achilles pain. Positive or not done: same-day "
        "referral.",
    )
    cauda_equina = forms.ChoiceField(
        required=False,
        label="Saddle numbness, new bladder or bowel change, or symptoms in both legs",
        choices=BLANK + list(Answer.choices),
        help_text="Required for sciatica. Yes: emergency.",
    )
    comorbidities = forms.MultipleChoiceField(
        required=False,
        label="Medical history and medicines",
        choices=Comorbidity.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Diabetes, neuropathy, arterial disease or Raynaud's: no ice or heat.",
    )
    dvt_risks = forms.MultipleChoiceField(
        required=False,
        label="Clot (DVT) risk",
        choices=DvtRisk.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The daily check-in then asks about calf swelling and breathlessness.",
    )
    cleared = forms.BooleanField(
        required=False,
        label="Cleared by a clinician for home rehabilitation",
        help_text="For conditions that need clinician clearance first.",
    )
    red_flags = forms.MultipleChoiceField(
        required=False,
        label="Red flags present",
        widget=forms.CheckboxSelectMultiple,
        help_text="Any red flag means the planner refers instead of prescribing.",
    )
    started_on = forms.DateField(
        label="Programme starts on",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )  # as the API (PrescribeInput)

    def __init__(
        self,
        *args: Any,
        patients: QuerySet[Any],
        assessed_on: date,
        **kwargs: Any,
    ) -> None:
        """`patients`: those the therapist may prescribe for (their caseload)."""
        super().__init__(*args, **kwargs)
        self.assessed_on = assessed_on
        # F33: age bands and adult protocols depend on the age, so it is required.
        self.fields["age"].required = True
        self.fields["age"].error_messages["required"] = "Enter the patient's age in years."
        catalogue = catalogue_snapshot()
        patients = patients.order_by("user__last_name", "user__first_name")
        field = self.fields["patient"]
        assert isinstance(field, PatientChoiceField)
        field.queryset = patients
        field.active = frozenset(
            Programme.objects.filter(
                patient__in=patients, status=Programme.Status.ACTIVE
            ).values_list("patient_id", flat=True)
        )
        conditions = sorted(catalogue.conditions.values(), key=lambda c: c.name)
        self.fields["condition"].choices = [("", "Choose a diagnosis")] + [  # type: ignore[attr-defined]
            (c.slug, c.name) for c in conditions
        ]
        self.fields["protocol"].choices = [("", "Default for the diagnosis")] + [  # type: ignore[attr-defined]
            (p.slug, f"{catalogue.conditions[p.condition].name}: {p.name}")
            for p in sorted(catalogue.protocols.values(), key=lambda p: (p.condition, p.slug))
        ]
        self.fields["red_flags"].choices = [  # type: ignore[attr-defined]
            (flag.slug, flag.question) for flag in RedFlag.objects.order_by("id")
        ]

    def clean(self) -> dict[str, Any]:
        """The planner's own reading (`Intake.from_dict`) and check of required answers, so a
        bad or missing one is shown beside its field, with a summary of every missing answer
        at the top."""
        data = super().clean() or {}
        missing = [name for name in REQUIRED_ANSWERS if name in self.errors]
        if not self.errors and data.get("condition"):
            try:
                validate_intake(
                    self.intake(assessed_on=self.assessed_on),
                    catalogue_snapshot(),
                    require_answers=True,
                )
            except IntakeError as error:
                for name, messages in error.fields.items():
                    name = FORM_FIELD_FOR.get(name, name)
                    target = name if name in self.fields else None
                    for message in messages:
                        self.add_error(target, message)
                    if target:
                        missing.append(name)
        if missing:
            labels = ", ".join(str(self.fields[name].label) for name in missing)
            self.add_error(None, f"Answer the required questions: {labels}.")
        return data

    def fingerprint(self) -> str:
        """A digest of everything entered, so 'Prescribe' only ever stores what the
        therapist last saw previewed (an edit after the preview needs a new preview)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "notes"}
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def intake_data(self, *, assessed_on: date) -> dict[str, Any]:
        """The cleaned data in the shape of the API's intake body (`Intake.from_dict`): a
        blank choice is "not recorded", as a missing key is there."""
        data = {name: self.cleaned_data[name] for name in INTAKE_FIELDS}
        data["able_to_bear_weight"] = not self.cleaned_data["cannot_bear_weight"]
        return data | {"assessed_on": assessed_on}

    def intake(self, *, assessed_on: date) -> Intake:
        """IntakeError if the data does not read as an intake (clean() shows it by field)."""
        return Intake.from_dict(self.intake_data(assessed_on=assessed_on))


def intake_answers(intake: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A stored intake (Diagnosis.intake) as (question, answer) pairs in the words of the
    intake form: the form's own labels and choices, the catalogue's names for the diagnosis,
    protocol and red flags. Every question the form asks is listed; "Not recorded" where the
    stored intake has no answer (an intake from before the question was asked)."""
    catalogue = catalogue_snapshot()
    red_flags = dict(RedFlag.objects.values_list("slug", "question"))
    names: dict[str, Mapping[str, str]] = {
        "condition": {slug: c.name for slug, c in catalogue.conditions.items()},
        "protocol": {slug: p.name for slug, p in catalogue.protocols.items()},
        "red_flags": red_flags,
    }
    fields = ProgrammeForm.base_fields
    rows = []
    for name in INTAKE_FIELDS:
        field = fields[name]
        value = intake.get(name)
        choices = names.get(name) or {str(k): str(v) for k, v in getattr(field, "choices", [])}
        if isinstance(value, list):
            text = "; ".join(choices.get(v, v) for v in value) or "None"
        elif isinstance(value, bool):
            text = "Yes" if value else "No"
        elif value is None or value == "":
            text = "Default for the diagnosis" if name == "protocol" else "Not recorded"
        else:
            text = choices.get(str(value), str(value).replace("_", " ").capitalize())
        rows.append((str(field.label or name.replace("_", " ").capitalize()), text))
        if name == "recent_injury":  # asked the other way round on the form
            bears = intake.get("able_to_bear_weight")
            label = str(fields["cannot_bear_weight"].label)
            rows.append((label, "Not recorded" if bears is None else ("No" if bears else "Yes")))
    return rows


# --- Adjusting ------------------------------------------------------------------------------


REASON_HELP = "Kept in the revision history with your name and the time."


def _reason() -> forms.CharField:
    return forms.CharField(
        label="Reason for the change",
        max_length=2000,  # as the API (AdjustmentInput), and for the override reason
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
        error_messages={"required": "Say why the programme is being changed."},
    )


def _override() -> forms.CharField:
    return forms.CharField(
        label="Override reason (only for a contraindicated exercise)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed, and shown in the history, if the exercise is contraindicated.",
    )


def exercise_choices(programme: Programme) -> list[tuple[str, str]]:
    """Every catalogue exercise, those contraindicated for this patient (or given in clinic
    only, which the service always refuses) marked as such."""
    catalogue = catalogue_snapshot()
    intake = Intake.from_dict(programme.diagnosis.intake)
    banned = contraindicated_tags(intake, catalogue.conditions[programme.condition.slug], catalogue)

    def mark(tags: set[str]) -> str:
        if "clinic_only" in tags:
            return " — clinic only, not for home"
        return " — CONTRAINDICATED" if tags & banned else ""

    return [
        (e.slug, f"{e.name}{mark(set(e.movement_tags))}")
        for e in Exercise.objects.order_by("category", "name")
        if e.category != "ice_heat"
    ]


def item_choices(phases: list[ProgrammePhase]) -> list[tuple[str, str]]:
    return [
        (str(item.key), f"Phase {phase.position}: {item.exercise.name} ({describe_dose(item)})")
        for phase in phases
        for item in phase.items.all()
    ]


class AdjustForm(forms.Form):
    """One kind of change. Its values are read by the change's own `from_dict`, as the API's
    are, so a change the API refuses is refused here with the same message beside the field."""

    action = ""
    title = ""
    change_type: ClassVar[type[Change] | None] = None

    def __init__(
        self, *args: Any, phases: list[ProgrammePhase], programme: Programme, **kwargs: Any
    ) -> None:
        kwargs["prefix"] = self.action
        super().__init__(*args, **kwargs)
        self.phases, self.programme = phases, programme
        if "item" in self.fields:
            self.fields["item"].choices = item_choices(phases)  # type: ignore[attr-defined]
        if "exercise" in self.fields:
            self.fields["exercise"].choices = exercise_choices(programme)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.change_type is not None and not self.errors:
            try:
                self.change()
            except DomainError as error:
                add_domain_error(self, error)
        return data

    def change_data(self) -> dict[str, Any]:
        """The cleaned data in the shape of the API's AdjustmentInput body: the dose fields
        (only those filled in: a blank keeps the current value) under `dose`."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in DOSE_NAMES}
        if isinstance(self, DoseFields):
            data["dose"] = self.dose()
        return data

    def change(self) -> Change:
        assert self.change_type is not None
        return self.change_type.from_dict(self.change_data())


DOSE_NAMES = ("sets", "reps", "reps_max", "hold_s", "times_per_day", "days_per_week", "load")


class DoseFields(forms.Form):
    sets = _bounded_int("Sets", limits.DOSE_SETS)
    reps = _bounded_int("Reps", limits.DOSE_REPS)
    reps_max = _bounded_int("Up to reps", limits.DOSE_REPS)
    hold_s = _bounded_int("Hold (seconds)", limits.DOSE_HOLD_S)
    times_per_day = _bounded_int("Times a day", limits.DOSE_TIMES_PER_DAY)
    days_per_week = _bounded_int("Days a week", limits.DOSE_DAYS_PER_WEEK)
    load = forms.CharField(required=False, max_length=200)

    def dose(self) -> dict[str, Any]:
        """Only what was filled in: a blank field keeps the current value."""
        return {
            name: self.cleaned_data[name]
            for name in DOSE_NAMES
            if self.cleaned_data.get(name) not in (None, "")
        }


class ChangeDoseForm(AdjustForm, DoseFields):
    """Walk-through 8: filled in with the chosen exercise's current dose (the first one's
    until another is chosen), with "was …" beside each field, so an edit changes only what the
    therapist means to change."""

    action, title = "dose", "Change a dose"
    change_type = ChangeDose
    item = forms.ChoiceField(label="Exercise")
    reason = _reason()
    field_order = ["item", *DOSE_NAMES, "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = {str(i.key): i for phase in self.phases for i in phase.items.all()}
        chosen = self["item"].value() if self.is_bound else self.initial.get("item")
        item = items.get(str(chosen)) if chosen else next(iter(items.values()), None)
        if item is None:
            return
        self.initial["item"] = str(item.key)
        # Django shows help text unescaped: a load is free text typed by a therapist.
        self.fields["item"].help_text = escape(f"Now: {describe_dose(item)}.")
        for name in DOSE_NAMES:
            value = getattr(item, name)
            self.initial[name] = value
            was = "was not set" if value in (None, "") else f"was {value}"
            self.fields[name].help_text = escape(was)


class AddExerciseForm(AdjustForm, DoseFields):
    action, title = "add", "Add an exercise"
    change_type = AddExercise
    phase = forms.TypedChoiceField(coerce=int)
    exercise = forms.ChoiceField()
    override_reason = _override()
    reason = _reason()
    field_order = ["phase", "exercise", *DOSE_NAMES, "override_reason", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [  # type: ignore[attr-defined]
            (p.position, f"Phase {p.position}: {p.name}") for p in self.phases
        ]
        for name in DOSE_NAMES:
            self.fields[name].help_text = "Blank: the catalogue's dose."


class RemoveExerciseForm(AdjustForm):
    action, title = "remove", "Remove an exercise"
    change_type = RemoveExercise
    item = forms.ChoiceField(label="Exercise")
    reason = _reason()


class SwapExerciseForm(AdjustForm, DoseFields):
    action, title = "swap", "Swap an exercise"
    change_type = SwapExercise
    item = forms.ChoiceField(label="Replace")
    exercise = forms.ChoiceField(label="With")
    override_reason = _override()
    reason = _reason()
    field_order = ["item", "exercise", *DOSE_NAMES, "override_reason", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in DOSE_NAMES:
            self.fields[name].help_text = "Blank: the new exercise's catalogue dose."


class MovePhaseForm(AdjustForm):
    action, title = "phase", "Advance or step back a phase"
    change_type = MovePhase
    to_phase = forms.TypedChoiceField(label="Move to", coerce=int)
    reason = _reason()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.programme.current_revision
        now = current.current_phase if current else 1
        self.fields["to_phase"].choices = [  # type: ignore[attr-defined]
            (
                p.position,
                f"{'Advance to' if p.position > now else 'Step back to'} "
                f"phase {p.position}: {p.name}",
            )
            for p in self.phases
            if p.position != now
        ]


class EndProgrammeForm(AdjustForm):
    """Walk-through 4: discharge or stop, so that another programme can be prescribed. Its own
    page (and a panel on the programme page) posts it; not one of ADJUST_FORMS."""

    action, title = "end", "End or discharge the programme"
    reason = forms.CharField(
        label="Why is it ending?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: discharged, goals met; or referred on. Kept with the programme.",
        error_messages={"required": "Say why the programme is ending."},
    )


ADJUST_FORMS: tuple[type[AdjustForm], ...] = (
    ChangeDoseForm,
    AddExerciseForm,
    RemoveExerciseForm,
    SwapExerciseForm,
    MovePhaseForm,
)
