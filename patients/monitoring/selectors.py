"""Reads about flags and the pause a red flag puts on a programme: visibility, the pause a
patient sees, and the monitoring state of one programme."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from patients.models import (
    Flag,
    Patient,
)
from patients.people.selectors import patients_visible_to
from patients.schedule import local_today
from programmes.models import (
    Exercise,
    Programme,
    ProgrammeItem,
    RedFlag,
)
from programmes.services import Change, MovePhase, SwapExercise
from programmes.vocab import Urgency
from rehab.shortcuts import get_or_404


def has_dvt_risk(programme: Programme) -> bool:
    """Whether the diagnosis intake recorded a DVT risk factor (the planner's `dvt_risks`)."""
    diagnosis = getattr(programme, "diagnosis", None)
    return bool(diagnosis is not None and diagnosis.intake.get("dvt_risks"))


def injury_date(programme: Programme) -> date | None:
    """The injury's onset date from the diagnosis intake, if the clinician gave one (F22: the
    acute ice window counts from it, else from the programme's start)."""
    diagnosis = getattr(programme, "diagnosis", None)
    value = diagnosis.intake.get("onset_date") if diagnosis is not None else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Regression:
    """The step back a worsening suggests for the current phase: back one phase, else each
    exercise that has an easier version swapped for it (catalogue `regression`), else nothing
    to apply (the text then says to lighten the dose). The flag's wording and "Apply
    suggestion" both read it, so what is applied is what was suggested."""

    to_phase: int | None
    swaps: tuple[tuple[ProgrammeItem, Exercise], ...] = ()

    @property
    def text(self) -> str:
        if self.to_phase is not None:
            return f"Step back to phase {self.to_phase}."
        if self.swaps:
            easier = "; ".join(f"{item.exercise.name} → {to.name}" for item, to in self.swaps)
            return f"Use the easier versions: {easier}."
        return "Reduce sets or load for the next sessions."

    def changes(self) -> list[Change]:
        if self.to_phase is not None:
            return [MovePhase(to_phase=self.to_phase)]
        return [SwapExercise(item=item.key, exercise=to.slug) for item, to in self.swaps]


def suggested_regression(programme: Programme, items: list[ProgrammeItem]) -> Regression:
    """`items`: the current phase's (their exercises' `regression` read)."""
    revision = programme.current_revision
    assert revision is not None
    if revision.current_phase > 1:
        return Regression(to_phase=revision.current_phase - 1)
    return Regression(
        to_phase=None,
        swaps=tuple(
            (item, item.exercise.regression)
            for item in items
            if item.exercise.regression is not None
        ),
    )


def regression_suggestion(programme: Programme, items: list[ProgrammeItem]) -> str:
    return suggested_regression(programme, items).text


# What each rule found, in words, for the evidence of a flag (rules.py names the rules).
RULE_LABELS = {
    "pain_during_above_max": "Pain during exercise over the limit",
    "pain_after_above_max": "Pain after the session over the limit",
    "next_morning_above_baseline": "Next-morning pain above the patient's baseline",
    "next_morning_above_baseline_repeated": "Next-morning pain above baseline, mornings in a row",
    "weekly_trend": "Morning symptoms up on last week",
    "not_adhering": "Fewer sessions done than prescribed",
    "ready_to_progress": "A good week within the pain limit",
    "visa_a_no_baseline": "No VISA-A recorded yet",
    "red_flag": "Red-flag answer in a check-in",
    "checkpoint": "Review point passed without improvement",
}


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule) or RULE_LABELS.get(rule.split(":", 1)[0], rule)


@dataclass(frozen=True)
class FlagGroup:
    """One flag as the therapist sees it: a worsening that several step-back rules found at
    once is one card with each rule's evidence, acted on once (walk-through 11). Any other
    flag is a group of one. `lead` (the most severe, newest) gives the card its id."""

    flags: tuple[Flag, ...]

    @property
    def lead(self) -> Flag:
        return self.flags[0]

    @property
    def pk(self) -> uuid.UUID:
        return self.lead.pk

    @property
    def status(self) -> str:
        statuses = {f.status for f in self.flags}
        for status in (Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED):
            if status in statuses:
                return status
        return Flag.Status.RESOLVED

    @property
    def suggestions(self) -> list[str]:
        return list(dict.fromkeys(f.suggestion for f in self.flags if f.suggestion))

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for f in self.flags for s in f.sources))


def _group_key(flag: Flag) -> tuple[Any, ...]:
    if flag.kind != Flag.Kind.STEP_BACK:
        return ("one", flag.pk)
    if flag.status == Flag.Status.RESOLVED:  # resolved together, shown together
        return ("step_back", flag.patient_id, flag.programme_id, flag.resolved_at)
    return ("step_back", flag.patient_id, flag.programme_id, None)


def group_flags(flags: list[Flag]) -> list[FlagGroup]:
    """`flags` in the order to show them; each group where its first flag was."""
    groups: dict[tuple[Any, ...], list[Flag]] = {}
    for flag in flags:
        groups.setdefault(_group_key(flag), []).append(flag)
    return [
        FlagGroup(tuple(sorted(g, key=lambda f: (-f.severity, -f.created_at.timestamp()))))
        for g in groups.values()
    ]


def flag_group(flag: Flag) -> FlagGroup:
    """The group `flag` is shown in: for an unresolved step back, every unresolved step back
    of the same patient and programme."""
    if flag.kind != Flag.Kind.STEP_BACK or flag.status == Flag.Status.RESOLVED:
        return FlagGroup((flag,))
    siblings = Flag.objects.filter(
        patient_id=flag.patient_id, kind=Flag.Kind.STEP_BACK, programme=flag.programme_id
    ).exclude(status=Flag.Status.RESOLVED)
    return group_flags([flag, *siblings.exclude(pk=flag.pk)])[0]


def flag_groups(flags: list[Flag]) -> dict[uuid.UUID, FlagGroup]:
    """The group each of `flags` is shown in on its patient's page (`group_flags` over the
    step backs of the same patients and programmes), by flag id: the API's `group`. One
    query, whatever the number of flags."""
    step_backs = [f for f in flags if f.kind == Flag.Kind.STEP_BACK]
    siblings = (
        Flag.objects.filter(
            kind=Flag.Kind.STEP_BACK,
            patient_id__in={f.patient_id for f in step_backs},
            programme_id__in={f.programme_id for f in step_backs if f.programme_id},
        )
        | Flag.objects.filter(
            kind=Flag.Kind.STEP_BACK,
            patient_id__in={f.patient_id for f in step_backs if f.programme_id is None},
            programme__isnull=True,
        )
        if step_backs
        else Flag.objects.none()
    )
    known = {f.pk: f for f in siblings} | {f.pk: f for f in flags}
    keys = {_group_key(f) for f in flags}
    groups = group_flags([f for f in known.values() if _group_key(f) in keys])
    return {member.pk: group for group in groups for member in group.flags}


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    return Flag.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient__user"
    )


def visible_flag(user: Any, flag_id: uuid.UUID | str) -> Flag:
    """Only the patient's therapist acts on flags; anyone else gets Http404."""
    therapist = getattr(user, "therapist", None)
    flags = Flag.objects.select_related("patient__user", "patient__therapist")
    return get_or_404(
        flags.filter(patient__therapist=therapist) if therapist else flags.none(), flag_id
    )


# What a patient is told to do, by the catalogue's urgency (red_flags.yaml header), for the
# page heading, the Today banner and the API's `paused.heading` (F13). Patient-facing words.
URGENCY_HEADINGS = {
    Urgency.EMERGENCY: "Emergency: call {number} now",
    Urgency.URGENT: "Get medical help today",
    Urgency.SOON: "See a doctor or clinician within the next few days",
    Urgency.ROUTINE: "Book an appointment with your doctor or clinician",
}


# A red-flag flag whose catalogue entry has since gone: treat it as same-day (the urgency most
# red flags carry), the safer reading than "book an appointment".
UNKNOWN_URGENCY = Urgency.URGENT


# What the check-in's result says above the advice after any yes (the web page and the API's
# check-in questions alike).
RED_FLAG_ANSWERED = (
    "You answered yes to a warning sign. Your clinician has been told, and your exercises, "
    "ice and heat are paused until they have looked at it. Please follow this advice:"
)


PAUSE_FALLBACK_ADVICE = "Stop your exercises and wait for your clinician to contact you."


def known_urgency(urgency: str) -> Urgency:
    return Urgency(urgency) if urgency in Urgency.values else UNKNOWN_URGENCY


def urgency_heading(urgency: str) -> str:
    """The patient-facing heading for a red flag's urgency; the emergency number is a setting
    (REHAB_EMERGENCY_NUMBER)."""
    return URGENCY_HEADINGS[known_urgency(urgency)].format(number=settings.REHAB_EMERGENCY_NUMBER)


def unresolved_red_flags() -> QuerySet[Flag]:
    """The one definition of "paused": a red-flag flag (raised from a check-in answer, by
    record_check_in in the check-in's own transaction or later by a sweep) that no clinician
    has resolved. Acknowledging it does not lift the pause; resolving does."""
    return Flag.objects.filter(kind=Flag.Kind.RED_FLAG).exclude(status=Flag.Status.RESOLVED)


def paused_patient_ids(patient_ids: list[Any] | None = None) -> set[Any]:
    """The ids of patients whose programme is paused (of `patient_ids`, or of everyone)."""
    flags = unresolved_red_flags()
    if patient_ids is not None:
        flags = flags.filter(patient_id__in=patient_ids)
    # Unordered: the flags' default ordering would be added to the DISTINCT.
    return set(flags.order_by().values_list("patient_id", flat=True).distinct())


@dataclass(frozen=True)
class Pause:
    """Why a patient's programme is paused: since the first unresolved red flag's date, at
    the most urgent of their urgencies, with each flag's own advice (most urgent first)."""

    since: date
    urgency: str
    advice: list[str]
    flags: list[Flag]

    @property
    def heading(self) -> str:
        return urgency_heading(self.urgency)

    @property
    def started_at(self) -> datetime:
        """When the first unresolved red flag was raised (the moment of the check-in)."""
        return min(flag.created_at for flag in self.flags)


def pause_for(patient: Patient) -> Pause | None:
    """The patient's pause, or None: sessions, ice/heat and their reminders stop while it
    lasts; the morning check-in goes on."""
    flags = list(unresolved_red_flags().filter(patient=patient).order_by("created_at"))
    if not flags:
        return None
    catalogue = {f.slug: f for f in RedFlag.objects.filter(slug__in=[_slug(f) for f in flags])}
    entries = []
    for flag in flags:
        entry = catalogue.get(_slug(flag))
        urgency = entry.urgency if entry else flag.evidence.get("urgency", UNKNOWN_URGENCY)
        if urgency not in Urgency.values:
            urgency = UNKNOWN_URGENCY
        entries.append((Urgency(urgency).rank, entry.advice if entry else PAUSE_FALLBACK_ADVICE))
    entries.sort(key=lambda e: -e[0])
    return Pause(
        since=min(_flag_date(patient, f) for f in flags),
        urgency=list(Urgency)[entries[0][0]].value,
        advice=list(dict.fromkeys(advice for _, advice in entries)),
        flags=flags,
    )


def _slug(flag: Flag) -> str:
    """The catalogue slug of a red-flag flag (its rule is "red_flag:<slug>")."""
    return str(flag.evidence.get("answer") or flag.rule.partition(":")[2])


def _flag_date(patient: Patient, flag: Flag) -> date:
    """The check-in date the red flag was reported on (its episode), else the day it was
    raised in the patient's zone."""
    try:
        return date.fromisoformat(flag.episode)
    except ValueError:
        return local_today(patient, flag.created_at)


def red_flag_advice(slugs: list[str]) -> list[RedFlag]:
    """The catalogue's flags for `slugs`, most urgent first: what to tell the patient now."""
    flags = list(RedFlag.objects.filter(slug__in=slugs))
    return sorted(flags, key=lambda f: -Urgency(f.urgency).rank)


def patient_flags(patient: Patient) -> list[Flag]:
    """Open and acknowledged flags first (most severe, newest), then resolved ones."""
    flags = list(
        Flag.objects.filter(patient=patient).select_related("acknowledged_by", "resolved_by")
    )
    return sorted(
        flags,
        key=lambda f: (f.status == Flag.Status.RESOLVED, -f.severity, -f.created_at.timestamp()),
    )
