"""Plain, immutable snapshots of the catalogue: what the pure planner reads.

No ORM here. `programmes.selectors.catalogue_snapshot()` builds one from the database;
tests may build one from the YAML files. Fields mirror programmes/catalogue/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time

Sources = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DoseSpec:
    sets: int | None = None
    reps: int | None = None
    reps_max: int | None = None
    hold_s: int | None = None
    times_per_day: int | None = None
    days_per_week: int | None = None
    load: str = ""
    tempo: str = ""
    rest_s: int | None = None
    dose_notes: str = ""

    def overridden_by(self, other: DoseSpec) -> DoseSpec:
        """This dose with every field that `other` sets (not None, not blank) replaced.

        An exact `reps` without its own `reps_max` clears the inherited upper bound, so a
        protocol's "3 × 10" never reads "3 × 10–15" (F42)."""
        changes = {
            f.name: getattr(other, f.name)
            for f in fields(other)
            if getattr(other, f.name) not in (None, "")
        }
        if "reps" in changes and "reps_max" not in changes:
            changes["reps_max"] = None
        return replace(self, **changes) if changes else self


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    slug: str
    name: str
    category: str
    movement_tags: frozenset[str]
    dose: DoseSpec
    sources: Sources
    progression: str | None = None
    regression: str | None = None
    # Plain words for the patient: "all" plus one entry per condition slug.
    patient_cautions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Clinician-facing: evidence, source ids, "inference" (never shown to a patient).
    cautions: str = ""
    # Non-blank when the default dose is our inference (no source figure): why, for the
    # clinician who must confirm it.
    dose_to_confirm: str = ""
    figure: str = ""  # a slug from catalogue/figures.yaml

    def patient_cautions_for(self, condition: str) -> tuple[str, ...]:
        return (*self.patient_cautions.get("all", ()), *self.patient_cautions.get(condition, ()))


@dataclass(frozen=True, slots=True)
class RedFlagSpec:
    slug: str
    urgency: str
    meaning: str
    sources: Sources
    check_in: bool = False


@dataclass(frozen=True, slots=True)
class TimeframeSpec:
    slug: str
    after_days: int
    by_days: int | None
    applies_when: str
    rule: str
    action: str
    metric: str
    threshold: float | None
    sources: Sources


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    slug: str
    name: str
    home_status: str
    contraindicated_tags: frozenset[str]
    red_flags: tuple[str, ...]
    timeframes: tuple[str, ...]
    refer_if: frozenset[str]
    age_min: int | None
    age_max: int | None
    ice_heat: frozenset[str]
    refer_when: str
    sources: Sources
    acute_injury: bool = False
    referral_urgency: str | None = None
    screening: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ProtocolItemSpec:
    exercise: str
    dose: DoseSpec
    sources: Sources
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    position: int
    name: str
    start_week: int
    end_week: int | None
    goals: tuple[str, ...]
    progression_criteria: tuple[str, ...]
    advice: tuple[str, ...]
    sources: Sources
    items: tuple[ProtocolItemSpec, ...]


@dataclass(frozen=True, slots=True)
class PainLimitsSpec:
    """A protocol's own pain rule (0-10 NRS), read by the monitoring rules.

    during_max / after_max: pain during / after a session above this → step back.
    next_morning_margin: a morning this many points or more above the patient's baseline breaks
    the 24-hour rule. progress_max: a week with every logged pain at or below this (and good
    adherence) is offered as "ready to progress"."""

    during_max: int
    after_max: int
    next_morning_margin: int
    progress_max: int
    sources: Sources


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    slug: str
    condition: str
    name: str
    is_default: bool
    sources: Sources
    phases: tuple[PhaseSpec, ...]
    pain_limits: PainLimitsSpec | None = None


@dataclass(frozen=True, slots=True)
class IceHeatRuleSpec:
    modality: str
    exercise: str
    max_minutes: int
    min_gap_hours: int
    safety_rules: tuple[str, ...]
    sources: Sources


@dataclass(frozen=True, slots=True)
class IceHeatScheduleSpec:
    slug: str
    modality: str
    situation: str
    times: tuple[time, ...]
    from_day: int
    to_day: int | None
    sources: Sources


@dataclass(frozen=True, slots=True)
class ThresholdSpec:
    slug: str
    value: float
    sources: Sources


@dataclass(frozen=True, slots=True)
class Catalogue:
    conditions: Mapping[str, ConditionSpec]
    exercises: Mapping[str, ExerciseSpec]
    protocols: Mapping[str, ProtocolSpec]
    red_flags: Mapping[str, RedFlagSpec]
    timeframes: Mapping[str, TimeframeSpec]
    ice_heat_rules: Mapping[str, IceHeatRuleSpec]
    ice_heat_schedules: tuple[IceHeatScheduleSpec, ...]
    thresholds: Mapping[str, ThresholdSpec]

    def protocols_for(self, condition: str) -> list[ProtocolSpec]:
        return [p for p in self.protocols.values() if p.condition == condition]

    def default_protocol(self, condition: str) -> ProtocolSpec | None:
        candidates = self.protocols_for(condition)
        for protocol in candidates:
            if protocol.is_default:
                return protocol
        return candidates[0] if candidates else None

    def threshold(self, slug: str) -> ThresholdSpec:
        return self.thresholds[slug]
