"""The programme planner: a pure, deterministic function from an intake to a plan.

`plan(intake, catalogue)` returns either a `ProgrammePlan` (phases of dosed exercises, an
ice/heat schedule, review checkpoints, warnings for the clinician) or a `Referral` (reasons and
urgency). No ORM, no clock: the catalogue and the assessment date come in as arguments, so the
same input always gives the same output.

Safety invariants (each is tested in tests/programmes/test_planner.py):
- an exercise whose movement tags meet a contraindicated tag is never prescribed;
- any red-flag answer, inability to bear weight, or a refer-only condition gives a referral;
- ice/heat appears only where the rules allow it, and never with circulation or sensation
  problems; heat never after a recent injury (a sprain or strain counts as one unless dated
  outside the acute window) nor while swelling or a recent injury is unknown;
- a required screen (Ottawa rules, Thompson test, cauda equina questions) that is positive or
  was not done gives a referral.
Every number used comes from the catalogue with its source id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from programmes.knowledge import (
    Catalogue,
    ConditionSpec,
    DoseSpec,
    PhaseSpec,
    ProtocolItemSpec,
    ProtocolSpec,
    Sources,
)
from programmes.vocab import (
    Answer,
    AppliesWhen,
    Category,
    Comorbidity,
    DvtRisk,
    HomeStatus,
    Irritability,
    Modality,
    MovementTag,
    Onset,
    OttawaResult,
    Screening,
    Side,
    ThompsonResult,
    Urgency,
)
from rehab.exceptions import DomainError

ACTIVITIES = ("general", "runner", "dancer", "jumping_sport")
LOADING_CATEGORIES = frozenset({Category.ISOMETRIC, Category.ECCENTRIC, Category.STRENGTH})
ACHILLES_CONDITIONS = frozenset(
    {"achilles_midportion", "achilles_insertional", "achilles_partial_tear"}
)
# Protocols from trials in adults (Alfredson R1, Silbernagel R6, Beyer HSR R4, Jonsson R3):
# under thresholds.yaml adult_tendon_protocol_min_age the clinician is warned (F33).
ADULT_TENDON_PROTOCOLS = frozenset(
    {
        "achilles_midportion_alfredson",
        "achilles_midportion_silbernagel",
        "achilles_midportion_hsr",
        "achilles_insertional_floor",
    }
)


# SEED-002: no ice or heat with a circulation or sensation problem; these comorbidities are one.
ICE_HEAT_BLOCKING_COMORBIDITIES = frozenset(
    {
        Comorbidity.DIABETES,
        Comorbidity.PERIPHERAL_NEUROPATHY,
        Comorbidity.PERIPHERAL_ARTERIAL_DISEASE,
        Comorbidity.RAYNAUDS,
    }
)


class IntakeError(DomainError):
    code = "invalid_intake"


# --- Input --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Intake:
    """What the clinician knows. Only `condition` is required here; the edges (web form, API,
    CLI) also require the screening answers (`validate_intake(require_answers=True)`).

    `swelling` and `recent_injury` are `Answer` values (yes / no / unknown). None means "not
    asked" (an intake stored before these were required) and is treated as unknown: the planner
    then takes the safer path (no heat)."""

    condition: str
    side: str | None = None
    onset: str | None = None
    onset_date: date | None = None
    assessed_on: date | None = None
    irritability: str | None = None
    swelling: str | None = None
    recent_injury: str | None = None
    weeks_since_surgery: int | None = None
    age: int | None = None
    activity: str | None = None
    circulation_or_sensation_problems: bool = False
    able_to_bear_weight: bool = True
    red_flags: frozenset[str] = frozenset()
    cleared: bool = False
    protocol: str | None = None
    # Structured screening (conditions.yaml `screening` says which a condition requires).
    ottawa: str | None = None  # OttawaResult; None: not recorded (treated as not assessed)
    thompson: str | None = None  # ThompsonResult; None: not recorded (treated as not done)
    cauda_equina: str | None = None  # Answer to the cauda equina questions
    comorbidities: frozenset[str] = frozenset()  # Comorbidity values
    dvt_risks: frozenset[str] = frozenset()  # DvtRisk values; stored for the check-in

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Intake:
        """The one conversion from request-shaped or stored data (the API body, the web form's
        and the CLI's values, Diagnosis.intake) into an Intake. Dates may be `date` objects or
        ISO text; blank text means "not recorded". IntakeError names every bad field.

        Shape only: `validate_intake` checks the values against the catalogue."""
        errors: dict[str, list[str]] = {}
        values: dict[str, object] = {}
        unknown = sorted(
            set(data)
            - {
                "condition",
                *_SET_FIELDS,
                *_BOOL_FIELDS,
                *_TEXT_FIELDS,
                *_ANSWER_FIELDS,
                *_INT_FIELDS,
                *_DATE_FIELDS,
            }
        )
        for name in unknown:
            errors[name] = ["Unknown field."]
        condition = data.get("condition")
        if not isinstance(condition, str) or not condition:
            errors["condition"] = ["A condition slug is required."]
        for name in _TEXT_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                errors[name] = ["Must be text."]
            elif value:
                values[name] = value
        for name in _ANSWER_FIELDS:
            value = data.get(name)
            if value is True:
                values[name] = Answer.YES.value
            elif value is False:
                # An unticked box on the old form meant "not ticked", not a considered "no":
                # read it as unknown, the safer path (no heat).
                values[name] = Answer.UNKNOWN.value
            elif value is not None and not isinstance(value, str):
                errors[name] = ["Must be yes, no or unknown."]
            elif value:
                values[name] = value
        for name in _INT_FIELDS:
            value = data.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors[name] = ["Must be a whole number."]
            elif value is not None:
                values[name] = value
        for name in _BOOL_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, bool):
                errors[name] = ["Must be true or false."]
            elif value is not None:
                values[name] = value
        for name in _DATE_FIELDS:
            value = data.get(name)
            if value is None:
                continue
            if type(value) is date:  # from a form or the CLI; not a datetime
                values[name] = value
                continue
            try:
                values[name] = date.fromisoformat(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                errors[name] = ["Must be a date as YYYY-MM-DD."]
        for name in _SET_FIELDS:
            listed = data.get(name, [])
            if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
                errors[name] = ["Must be a list of names."]
            else:
                values[name] = frozenset(listed)
        if errors:
            raise IntakeError(next(iter(errors.values()))[0], fields=errors)
        return cls(condition=str(condition), **values)  # type: ignore[arg-type]


# --- Output -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Note:
    """A warning for the clinician or a reason for referral."""

    code: str
    message: str
    sources: Sources


@dataclass(frozen=True, slots=True)
class PlannedItem:
    exercise: str
    name: str
    category: str
    movement_tags: tuple[str, ...]
    dose: DoseSpec
    sources: Sources


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    position: int
    name: str
    start_week: int
    end_week: int | None
    goals: tuple[str, ...]
    progression_criteria: tuple[str, ...]
    advice: tuple[str, ...]
    items: tuple[PlannedItem, ...]
    sources: Sources


@dataclass(frozen=True, slots=True)
class PlannedIceHeat:
    modality: str
    max_minutes: int
    min_gap_hours: int
    times: tuple[str, ...]
    from_day: int
    to_day: int | None
    safety_rules: tuple[str, ...]
    sources: Sources


@dataclass(frozen=True, slots=True)
class PlannedCheckpoint:
    timeframe: str
    after_days: int
    by_days: int | None
    rule: str
    action: str
    sources: Sources


@dataclass(frozen=True, slots=True)
class ProgrammePlan:
    condition: str
    protocol: str
    side: str | None
    phases: tuple[PlannedPhase, ...]
    ice_heat: tuple[PlannedIceHeat, ...]
    checkpoints: tuple[PlannedCheckpoint, ...]
    warnings: tuple[Note, ...]
    status: Literal["programme"] = "programme"


@dataclass(frozen=True, slots=True)
class Referral:
    condition: str
    urgency: str
    reasons: tuple[Note, ...]
    warnings: tuple[Note, ...] = field(default=())
    status: Literal["referral"] = "referral"


PlanResult = ProgrammePlan | Referral


# --- The planner --------------------------------------------------------------------------


def plan(intake: Intake, catalogue: Catalogue) -> PlanResult:
    validate_intake(intake, catalogue)
    condition = catalogue.conditions[intake.condition]
    warnings = _warnings(intake, condition, catalogue)

    reasons, urgency = _referral_reasons(intake, condition, catalogue)
    protocol = _choose_protocol(intake, catalogue)
    if protocol is None and not reasons:
        reasons.append(
            Note(
                "no_home_protocol",
                f"The catalogue has no home protocol for {condition.name}; a clinician must "
                "stage the rehabilitation.",
                condition.sources,
            )
        )
    if reasons or protocol is None:
        # F43: "planned because a clinician cleared it" only makes sense for a programme.
        return Referral(
            condition=condition.slug,
            urgency=urgency,
            reasons=tuple(reasons),
            warnings=tuple(warnings),
        )

    if condition.home_status == HomeStatus.AFTER_CLEARANCE and intake.cleared:
        warnings.append(
            Note(
                "cleared_by_clinician",
                f"{condition.name} is planned because a clinician cleared it; keep it under "
                "clinical review.",
                condition.sources,
            )
        )
    warnings.extend(_age_warnings(intake, condition, protocol, catalogue))
    banned = contraindicated_tags(intake, condition, catalogue)
    phases = tuple(
        _plan_phase(phase, intake, banned, catalogue, warnings) for phase in protocol.phases
    )
    return ProgrammePlan(
        condition=condition.slug,
        protocol=protocol.slug,
        side=intake.side,
        phases=phases,
        ice_heat=_plan_ice_heat(intake, condition, catalogue, warnings),
        checkpoints=_plan_checkpoints(intake, condition, phases, catalogue),
        warnings=tuple(warnings),
    )


def contraindicated_tags(
    intake: Intake, condition: ConditionSpec, catalogue: Catalogue
) -> frozenset[str]:
    """Movement tags this patient must not be given: the condition's own, plus those the
    intake adds. Also used by the adjust-programme service for its override rule."""
    banned = set(condition.contraindicated_tags) | {MovementTag.CLINIC_ONLY}
    if no_ice_or_heat(intake):
        # SEED-002: no ice or heat with circulation or sensation problems; R31b (inference):
        # eyes-closed balance relies on sensation from the foot.
        banned |= {MovementTag.COLD, MovementTag.HEAT, MovementTag.EYES_CLOSED}
    if not heat_allowed(intake, condition, catalogue):
        banned.add(MovementTag.HEAT)  # F1: also when a clinician adds a heat pack later
    if intake.irritability == Irritability.HIGH:
        # R6 / R31b: plyometrics, quick rebounds and hops are for a settled tendon only.
        banned.add(MovementTag.IMPACT)
    return frozenset(banned)


ANSWER_REQUIRED = "Answer yes, no or unknown."


def validate_intake(intake: Intake, catalogue: Catalogue, *, require_answers: bool = False) -> None:
    """Raise IntakeError with a message per bad field; valid choices are listed.

    `require_answers=True` (the web form, the API and the CLI) also refuses an intake that
    leaves a required screening answer out; the planner itself plans such an intake on the
    safer path, so old stored intakes stay readable."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if intake.condition not in catalogue.conditions:
        bad(
            "condition",
            f"Unknown condition {intake.condition!r}. Valid: "
            f"{', '.join(sorted(catalogue.conditions))}.",
        )
    _check_choice(intake.side, Side.values, "side", bad)
    _check_choice(intake.onset, Onset.values, "onset", bad)
    _check_choice(intake.irritability, Irritability.values, "irritability", bad)
    _check_choice(intake.activity, list(ACTIVITIES), "activity", bad)
    _check_choice(intake.swelling, Answer.values, "swelling", bad)
    _check_choice(intake.recent_injury, Answer.values, "recent_injury", bad)
    _check_choice(intake.ottawa, OttawaResult.values, "ottawa", bad)
    _check_choice(intake.thompson, ThompsonResult.values, "thompson", bad)
    _check_choice(intake.cauda_equina, Answer.values, "cauda_equina", bad)
    for name, valid in (("comorbidities", Comorbidity.values), ("dvt_risks", DvtRisk.values)):
        unknown = sorted(set(getattr(intake, name)) - set(valid))
        if unknown:
            bad(name, f"Unknown {name}: {', '.join(unknown)}. Valid: {', '.join(valid)}.")
    unknown_flags = sorted(set(intake.red_flags) - set(catalogue.red_flags))
    if unknown_flags:
        bad(
            "red_flags",
            f"Unknown red flag(s): {', '.join(unknown_flags)}. Valid: "
            f"{', '.join(sorted(catalogue.red_flags))}.",
        )
    if intake.age is not None and not 0 <= intake.age <= 120:
        bad("age", "Age must be between 0 and 120 years.")
    if intake.weeks_since_surgery is not None and not 0 <= intake.weeks_since_surgery <= 520:
        bad("weeks_since_surgery", "Weeks since surgery must be between 0 and 520.")
    if intake.onset_date is not None:
        if intake.assessed_on is None:
            bad("assessed_on", "An onset date needs the assessment date to compare with.")
        elif intake.onset_date > intake.assessed_on:
            bad("onset_date", "The onset date cannot be after the assessment date.")
    if intake.protocol is not None and intake.condition in catalogue.conditions:
        valid = [p.slug for p in catalogue.protocols_for(intake.condition)]
        if intake.protocol not in valid:
            bad(
                "protocol",
                f"Unknown protocol {intake.protocol!r} for {intake.condition}. Valid: "
                f"{', '.join(valid) or 'none'}.",
            )
    if require_answers and intake.condition in catalogue.conditions:
        for name, messages in missing_answers(intake, catalogue).items():
            for message in messages:
                bad(name, message)
    if errors:
        first = next(iter(errors.values()))[0]
        raise IntakeError(first, fields=errors)


def missing_answers(intake: Intake, catalogue: Catalogue) -> dict[str, list[str]]:
    """The required intake answers this intake leaves out, by field."""
    missing: dict[str, list[str]] = {}
    for name in ("swelling", "recent_injury"):
        if getattr(intake, name) is None:
            missing[name] = [ANSWER_REQUIRED]
    if intake.age is None:  # F33: age bands and adult protocols depend on it
        missing["age"] = ["Enter the patient's age in years."]
    condition = catalogue.conditions[intake.condition]
    required = required_screens(intake, condition, catalogue)
    if Screening.OTTAWA in required and intake.ottawa is None:
        missing["ottawa"] = ["Record the Ottawa rules: negative, positive or not assessed."]
    if Screening.THOMPSON in required and intake.thompson is None:
        missing["thompson"] = ["Record the Thompson test: negative, positive or not done."]
    if Screening.CAUDA_EQUINA in required and intake.cauda_equina is None:
        missing["cauda_equina"] = ["Answer the cauda equina questions: yes, no or unknown."]
    return missing


def required_screens(
    intake: Intake, condition: ConditionSpec, catalogue: Catalogue
) -> frozenset[str]:
    """The structured screens this intake must record (requirement 6, F32).

    - Ottawa rules: for a condition that lists them (sprain, fracture), and for any recent
      injury of a condition whose red flags include Ottawa bone tenderness (a fracture-suspect
      presentation) [R26].
    - Thompson test: for an acute presentation of a condition that lists it (calf strain, the
      Achilles conditions): a missed rupture can look like either [R25].
    - Cauda equina questions: for a condition that lists them (sciatica; INFERENCE).
    """
    screens = set()
    recent = recent_injury(intake, condition, catalogue)
    if Screening.OTTAWA in condition.screening or (
        intake.recent_injury == Answer.YES and "bone_tenderness_ottawa" in condition.red_flags
    ):
        screens.add(Screening.OTTAWA.value)
    if Screening.THOMPSON in condition.screening and (recent or intake.onset == Onset.ACUTE):
        screens.add(Screening.THOMPSON.value)
    if Screening.CAUDA_EQUINA in condition.screening:
        screens.add(Screening.CAUDA_EQUINA.value)
    return frozenset(screens)


def no_ice_or_heat(intake: Intake) -> bool:
    """SEED-002: neither ice nor heat with any circulation or sensation problem, whether ticked
    as such or recorded as a comorbidity (diabetes, neuropathy, PAD, Raynaud's)."""
    return intake.circulation_or_sensation_problems or bool(
        intake.comorbidities & ICE_HEAT_BLOCKING_COMORBIDITIES
    )


def _check_choice(
    value: str | None, valid: Iterable[str], name: str, bad: Callable[[str, str], None]
) -> None:
    choices = list(valid)
    if value is not None and value not in choices:
        bad(name, f"Unknown {name} {value!r}. Valid: {', '.join(choices)}.")


def _referral_reasons(
    intake: Intake, condition: ConditionSpec, catalogue: Catalogue
) -> tuple[list[Note], str]:
    reasons: list[Note] = []
    urgency = Urgency.ROUTINE

    def refer(note: Note, level: Urgency) -> None:
        nonlocal urgency
        reasons.append(note)
        if level.rank > urgency.rank:
            urgency = level

    flags = set(intake.red_flags)
    if not intake.able_to_bear_weight:
        flags.add("cannot_bear_weight")
    if intake.cauda_equina == Answer.YES and "cauda_equina_signs" in catalogue.red_flags:
        flags.add("cauda_equina_signs")
    for slug in sorted(flags, key=lambda s: (-Urgency(catalogue.red_flags[s].urgency).rank, s)):
        flag = catalogue.red_flags[slug]
        refer(Note(f"red_flag:{slug}", flag.meaning, flag.sources), Urgency(flag.urgency))

    for note, level in _screening_reasons(intake, condition, catalogue):
        refer(note, level)

    # F7: each refer-only condition carries its own urgency (conditions.yaml referral_urgency).
    if condition.home_status == HomeStatus.REFER_URGENT:
        level = Urgency(condition.referral_urgency or Urgency.URGENT)
        refer(Note("refer_urgent", condition.refer_when, condition.sources), level)
    elif condition.home_status == HomeStatus.REFER:
        level = Urgency(condition.referral_urgency or Urgency.ROUTINE)
        refer(Note("refer_only", condition.refer_when, condition.sources), level)
    elif condition.home_status == HomeStatus.AFTER_CLEARANCE and not intake.cleared:
        refer(
            Note(
                "needs_clearance",
                f"{condition.name} needs a clinician to stage the programme first; record the "
                "clearance to plan it.",
                condition.sources,
            ),
            Urgency.ROUTINE,
        )

    for fact in sorted(condition.refer_if):
        if getattr(intake, fact, None) == Answer.YES:
            refer(
                Note(f"refer_if:{fact}", condition.refer_when, condition.sources),
                Urgency.ROUTINE,
            )

    post_op = catalogue.threshold("post_operative_supervised_weeks")
    if intake.weeks_since_surgery is not None and intake.weeks_since_surgery < post_op.value:
        refer(
            Note(
                "post_operative",
                f"Surgery {intake.weeks_since_surgery} week(s) ago: rehabilitation stays with the "
                f"surgical team and physiotherapist until week {post_op.value:g}.",
                post_op.sources,
            ),
            Urgency.ROUTINE,
        )
    return reasons, str(urgency)


def _screening_reasons(
    intake: Intake, condition: ConditionSpec, catalogue: Catalogue
) -> list[tuple[Note, Urgency]]:
    """Referrals from the structured screens. A positive test always refers; a required screen
    that was not done refers too (the safer path: the edges make it an explicit answer)."""
    required = required_screens(intake, condition, catalogue)
    out: list[tuple[Note, Urgency]] = []
    if intake.ottawa == OttawaResult.POSITIVE:
        out.append(
            (
                Note(
                    "screen:ottawa_positive",
                    "Ottawa rules positive: possible fracture, X-ray the same day before any "
                    "programme.",
                    ("R26",),
                ),
                Urgency.URGENT,
            )
        )
    elif Screening.OTTAWA in required and intake.ottawa != OttawaResult.NEGATIVE:
        out.append(
            (
                Note(
                    "screen:ottawa_not_assessed",
                    "Assess the Ottawa ankle and foot rules first: a fracture must be excluded "
                    "before a home programme. Not assessed is treated as a same-day X-ray "
                    "referral.",
                    ("R26",),
                ),
                Urgency.URGENT,
            )
        )
    if intake.thompson == ThompsonResult.POSITIVE:
        out.append(
            (
                Note(
                    "screen:thompson_positive",
                    "Thompson (calf-squeeze) test positive: possible Achilles rupture, same-day "
                    "assessment; no loading or stretching.",
                    ("R25", "SEED-002"),
                ),
                Urgency.URGENT,
            )
        )
    elif Screening.THOMPSON in required and intake.thompson != ThompsonResult.NEGATIVE:
        # INFERENCE: the reference asks for the test, not what to do when it is skipped; a
        # missed rupture may need treatment within days (SEED-002), so refer the same day.
        out.append(
            (
                Note(
                    "screen:thompson_not_done",
                    "Do the Thompson (calf-squeeze) test first: a missed Achilles rupture can "
                    "look like a calf strain or a tendinopathy.",
                    ("R25", "SEED-002", "INFERENCE"),
                ),
                Urgency.URGENT,
            )
        )
    if Screening.CAUDA_EQUINA in required and intake.cauda_equina in (None, Answer.UNKNOWN):
        # INFERENCE: cauda equina cannot be excluded without the questions; same day until
        # they are asked (standard spinal red-flag practice, needs sign-off).
        out.append(
            (
                Note(
                    "screen:cauda_equina_unknown",
                    "Cauda equina questions not answered: ask about saddle numbness, new "
                    "bladder or bowel change and symptoms in both legs today.",
                    ("INFERENCE",),
                ),
                Urgency.URGENT,
            )
        )
    return out


def _choose_protocol(intake: Intake, catalogue: Catalogue) -> ProtocolSpec | None:
    if intake.protocol is not None:
        return catalogue.protocols[intake.protocol]
    return catalogue.default_protocol(intake.condition)


def _matches(item: ProtocolItemSpec, intake: Intake) -> bool:
    return all(str(getattr(intake, fact, None)) in allowed for fact, allowed in item.when.items())


def _plan_phase(
    phase: PhaseSpec,
    intake: Intake,
    banned: frozenset[str],
    catalogue: Catalogue,
    warnings: list[Note],
) -> PlannedPhase:
    items = []
    for item in phase.items:
        if not _matches(item, intake):
            continue
        exercise = catalogue.exercises[item.exercise]
        clash = exercise.movement_tags & banned
        if clash:
            warnings.append(
                Note(
                    f"left_out:{exercise.slug}",
                    f"Left out {exercise.name} from '{phase.name}': "
                    f"{', '.join(sorted(clash))} is contraindicated for this patient.",
                    item.sources,
                )
            )
            continue
        if exercise.dose_to_confirm and not _sets_its_own_count(item.dose):
            _warn_once(
                warnings,
                Note(
                    f"dose_to_confirm:{exercise.slug}",
                    f"Confirm the dose of {exercise.name}: the sources give none, so "
                    f"{describe_count(exercise.dose)} is a default. {exercise.dose_to_confirm}",
                    ("INFERENCE",),
                ),
            )
        dose = exercise.dose.overridden_by(item.dose)
        if MovementTag.EXTERNAL_LOAD in exercise.movement_tags and _HEAVY_LOAD.match(dose.load):
            # F29: a repetition-maximum load is gym work [R4]; the supervision is INFERENCE.
            _warn_once(
                warnings,
                Note(
                    "equipment_and_supervision",
                    f"{exercise.name} (from '{phase.name}') uses a heavy load ({dose.load}): "
                    "confirm the patient has the equipment and supervise the first session.",
                    ("R4", "INFERENCE"),
                ),
            )
        items.append(
            PlannedItem(
                exercise=exercise.slug,
                name=exercise.name,
                category=exercise.category,
                movement_tags=tuple(sorted(exercise.movement_tags)),
                dose=dose,
                sources=item.sources,
            )
        )
    return PlannedPhase(
        position=phase.position,
        name=phase.name,
        start_week=phase.start_week,
        end_week=phase.end_week,
        goals=phase.goals,
        progression_criteria=phase.progression_criteria,
        advice=phase.advice,
        items=tuple(items),
        sources=phase.sources,
    )


_HEAVY_LOAD = re.compile(r"^\s*\d+\s*RM\s*$", re.IGNORECASE)


def _sets_its_own_count(dose: DoseSpec) -> bool:
    """The protocol item gives its own count (from a source) instead of the exercise default."""
    return dose.reps is not None or dose.hold_s is not None


def _warn_once(warnings: list[Note], note: Note) -> None:
    if all(w.code != note.code for w in warnings):
        warnings.append(note)


def describe_count(dose: DoseSpec) -> str:
    """'2 × 10' or '3 × 30 s': the countable part of a dose, for clinician warnings."""
    count = f"{dose.reps}" if dose.reps is not None else ""
    if dose.hold_s is not None:
        count = f"{count} × {dose.hold_s} s" if count else f"{dose.hold_s} s"
    return f"{dose.sets} × {count}" if dose.sets is not None and count else count or "no count"


def heat_allowed(intake: Intake, condition: ConditionSpec, catalogue: Catalogue) -> bool:
    """SEED-002: heat only with no swelling and not after a recent injury, both answered (F1:
    an unknown answer gives no heat). The one rule for the plan and for later adjustments."""
    return (
        intake.swelling == Answer.NO
        and intake.recent_injury == Answer.NO
        and not recent_injury(intake, condition, catalogue)
    )


def recent_injury(intake: Intake, condition: ConditionSpec, catalogue: Catalogue) -> bool:
    """Whether this presentation counts as a recent injury (ice, no heat, early checkpoints).

    F1: a "yes" answer always counts. Otherwise an onset date decides against the acute window
    (thresholds.yaml acute_window_days). Without a date, acute onset and an injury that is
    acute by definition (conditions.yaml acute_injury: sprain, strain) count as recent."""
    if intake.recent_injury == Answer.YES:
        return True
    if intake.onset_date is not None and intake.assessed_on is not None:
        window = catalogue.threshold("acute_window_days").value
        return (intake.assessed_on - intake.onset_date).days <= window
    return intake.onset == Onset.ACUTE or condition.acute_injury


def _plan_ice_heat(
    intake: Intake,
    condition: ConditionSpec,
    catalogue: Catalogue,
    warnings: list[Note],
) -> tuple[PlannedIceHeat, ...]:
    if no_ice_or_heat(intake):
        rule_sources = tuple(
            sorted({s for r in catalogue.ice_heat_rules.values() for s in r.sources})
        )
        blocking = sorted(
            Comorbidity(c).label for c in intake.comorbidities & ICE_HEAT_BLOCKING_COMORBIDITIES
        )
        why = f" ({', '.join(blocking)})" if blocking else ""
        warnings.append(
            Note(
                "no_ice_heat",
                f"No ice or heat: the patient has a circulation or sensation problem{why}.",
                rule_sources,
            )
        )
        return ()
    if recent_injury(intake, condition, catalogue):
        situation, modality = "acute_injury", Modality.ICE
    elif intake.swelling == Answer.YES:
        situation, modality = "swelling", Modality.ICE
    elif heat_allowed(intake, condition, catalogue):
        situation, modality = "no_swelling", Modality.HEAT
    else:
        warnings.append(
            Note(
                "no_heat_unknown",
                "No heat: swelling or a recent injury is not known. Answer both to offer heat.",
                ("SEED-002",),
            )
        )
        return ()
    if modality not in condition.ice_heat:
        return ()
    rule = catalogue.ice_heat_rules[modality]
    exercise = catalogue.exercises[rule.exercise]
    if exercise.movement_tags & contraindicated_tags(intake, condition, catalogue):
        return ()
    return tuple(
        PlannedIceHeat(
            modality=modality,
            max_minutes=rule.max_minutes,
            min_gap_hours=rule.min_gap_hours,
            times=tuple(t.strftime("%H:%M") for t in schedule.times),
            from_day=schedule.from_day,
            to_day=schedule.to_day,
            safety_rules=rule.safety_rules,
            sources=tuple(dict.fromkeys(rule.sources + schedule.sources)),
        )
        for schedule in catalogue.ice_heat_schedules
        if schedule.modality == modality and schedule.situation == situation
    )


def _plan_checkpoints(
    intake: Intake,
    condition: ConditionSpec,
    phases: tuple[PlannedPhase, ...],
    catalogue: Catalogue,
) -> tuple[PlannedCheckpoint, ...]:
    # F2: a sprain or strain is acute by definition, so its early checkpoints always apply.
    acute = (
        condition.acute_injury
        or intake.onset == Onset.ACUTE
        or recent_injury(intake, condition, catalogue)
    )
    loading = any(item.category in LOADING_CATEGORIES for p in phases for item in p.items)
    applicable = {
        AppliesWhen.ANY: True,
        AppliesWhen.ACUTE: acute,
        AppliesWhen.LOADING: loading,
    }
    checkpoints = [
        PlannedCheckpoint(
            timeframe=tf.slug,
            after_days=tf.after_days,
            by_days=tf.by_days,
            rule=tf.rule,
            action=tf.action,
            sources=tf.sources,
        )
        for tf in (catalogue.timeframes[slug] for slug in condition.timeframes)
        if applicable.get(AppliesWhen(tf.applies_when), False)
    ]
    return tuple(sorted(checkpoints, key=lambda c: (c.after_days, c.timeframe)))


def _warnings(intake: Intake, condition: ConditionSpec, catalogue: Catalogue) -> list[Note]:
    """Facts that do not fit the diagnosis, or that the clinician should act on."""
    notes: list[Note] = []
    if intake.age is not None and (
        (condition.age_min is not None and intake.age < condition.age_min)
        or (condition.age_max is not None and intake.age > condition.age_max)
    ):
        notes.append(
            Note(
                "age_outside_band",
                f"{condition.name} is described in ages {condition.age_min}–{condition.age_max}; "
                f"a patient aged {intake.age} does not fit — reconsider the diagnosis.",
                condition.sources,
            )
        )
    post_op = catalogue.threshold("post_operative_supervised_weeks")
    if intake.weeks_since_surgery is not None and intake.weeks_since_surgery >= post_op.value:
        notes.append(
            Note(
                "post_operative",
                f"Surgery {intake.weeks_since_surgery} weeks ago: check the surgeon's protocol "
                "before progressing.",
                post_op.sources,
            )
        )
    if intake.irritability == Irritability.HIGH:
        notes.append(
            Note(
                "high_irritability",
                "Highly irritable: hopping, rebounding and plyometric work are left out; "
                "isometric holds are offered where the protocol allows.",
                ("R6", "R9", "R31b"),
            )
        )
    if condition.slug == "posterior_ankle_impingement" and intake.activity == "dancer":
        notes.append(
            Note(
                "dancer_impingement",
                "Dancer: no relevé or pointe work while symptomatic; recurrences every few "
                "months may warrant a surgical opinion.",
                ("SEED-002", "SEED-004"),
            )
        )
    if intake.side == Side.BOTH and condition.slug in ACHILLES_CONDITIONS:
        notes.append(
            Note(
                "bilateral_achilles",
                "Both sides: if recurrent and severe, consider a cholesterol test "
                "(familial hypercholesterolaemia).",
                ("R43",),
            )
        )
        if condition.slug == "achilles_insertional":
            notes.append(
                Note(
                    "bilateral_insertional",
                    "Bilateral insertional pain: screen for inflammatory enthesitis (morning "
                    "back stiffness, psoriasis, eye inflammation, recent urethritis or "
                    "diarrhoea).",
                    ("R44",),
                )
            )
    notes.extend(_comorbidity_warnings(intake))
    if intake.swelling == Answer.YES and condition.slug == "ankle_sprain":
        notes.append(
            Note(
                "sprain_swelling",
                "Swelling after a sprain: extreme swelling or bruising with difficulty "
                "loading needs same-day review.",
                ("SEED-002", "R26"),
            )
        )
    return notes


def _age_warnings(
    intake: Intake, condition: ConditionSpec, protocol: ProtocolSpec, catalogue: Catalogue
) -> list[Note]:
    """F33: an adult tendon protocol for a child, and an age band that cannot be checked."""
    adult = protocol.slug in ADULT_TENDON_PROTOCOLS
    if intake.age is None:
        if adult or condition.age_min is not None or condition.age_max is not None:
            return [
                Note(
                    "age_not_recorded",
                    f"Age not recorded: {condition.name} and {protocol.name} depend on age; "
                    "record it to check them.",
                    condition.sources,
                )
            ]
        return []
    minimum = catalogue.threshold("adult_tendon_protocol_min_age")
    if adult and intake.age < minimum.value:
        return [
            Note(
                "adult_protocol_for_a_child",
                f"{protocol.name} was tested in adults; this patient is {intake.age}. Reconsider "
                f"the diagnosis (Sever's in a child), and lower the dose and supervise if you "
                "keep it.",
                tuple(dict.fromkeys(protocol.sources + minimum.sources)),
            )
        ]
    return []


def _comorbidity_warnings(intake: Intake) -> list[Note]:
    """Clinician warnings for the recorded comorbidities and DVT risk factors."""
    notes: list[Note] = []
    found = intake.comorbidities
    if found & {Comorbidity.FLUOROQUINOLONE, Comorbidity.STEROID_INJECTION}:
        notes.append(
            Note(
                "rupture_risk_medicine",
                "Fluoroquinolone antibiotic or recent steroid injection: raised risk of Achilles "
                "rupture. With new Achilles pain this is a prompt-review red flag; load "
                "gradually and check for rupture signs.",
                ("SEED-001", "SEED-003"),
            )
        )
    if Comorbidity.INFLAMMATORY_DISEASE in found:
        notes.append(
            Note(
                "inflammatory_disease",
                "Inflammatory disease: heel or Achilles pain may be enthesitis or systemic "
                "arthritis; screen for it and involve the patient's rheumatology team.",
                ("R44", "SEED-003"),
            )
        )
    if Comorbidity.FAMILIAL_HYPERCHOLESTEROLAEMIA in found:
        notes.append(
            Note(
                "familial_hypercholesterolaemia",
                "Familial hypercholesterolaemia: Achilles pain may be tenosynovitis or a tendon "
                "xanthoma; check lipid management with the GP.",
                ("R43",),
            )
        )
    if intake.dvt_risks:
        risks = ", ".join(DvtRisk(r).label.lower() for r in sorted(intake.dvt_risks))
        # INFERENCE: the risk factors are standard practice (review F23), not in the reference.
        notes.append(
            Note(
                "dvt_risk",
                f"DVT risk ({risks}): examine the calf for swelling, heat and tenderness before "
                "loading; the daily check-in asks the DVT questions.",
                ("R45", "INFERENCE"),
            )
        )
    return notes


# --- Plain-data view (CLI JSON, API previews) ---------------------------------------------


def as_dict(result: PlanResult) -> dict[str, object]:
    """The plan as JSON-ready data; the shape `manage.py plan --format json` prints."""
    notes = [_note(n) for n in result.warnings]
    if isinstance(result, Referral):
        return {
            "status": result.status,
            "condition": result.condition,
            "protocol": None,
            "side": None,
            "warnings": notes,
            "referral": {
                "urgency": result.urgency,
                "reasons": [_note(n) for n in result.reasons],
            },
            "phases": [],
            "ice_heat": [],
            "checkpoints": [],
        }
    return {
        "status": result.status,
        "condition": result.condition,
        "protocol": result.protocol,
        "side": result.side,
        "warnings": notes,
        "referral": None,
        "phases": [
            {
                "position": phase.position,
                "name": phase.name,
                "start_week": phase.start_week,
                "end_week": phase.end_week,
                "goals": list(phase.goals),
                "advice": list(phase.advice),
                "items": [
                    {
                        "exercise": item.exercise,
                        "name": item.name,
                        "category": item.category,
                        "movement_tags": list(item.movement_tags),
                        "sets": item.dose.sets,
                        "reps": item.dose.reps,
                        "reps_max": item.dose.reps_max,
                        "hold_s": item.dose.hold_s,
                        "times_per_day": item.dose.times_per_day,
                        "days_per_week": item.dose.days_per_week,
                        "load": item.dose.load,
                        "tempo": item.dose.tempo,
                        "sources": list(item.sources),
                    }
                    for item in phase.items
                ],
                "progression_criteria": list(phase.progression_criteria),
                "sources": list(phase.sources),
            }
            for phase in result.phases
        ],
        "ice_heat": [
            {
                "modality": slot.modality,
                "max_minutes": slot.max_minutes,
                "min_gap_hours": slot.min_gap_hours,
                "times": list(slot.times),
                "from_day": slot.from_day,
                "to_day": slot.to_day,
                "safety_rules": list(slot.safety_rules),
                "sources": list(slot.sources),
            }
            for slot in result.ice_heat
        ],
        "checkpoints": [
            {
                "timeframe": c.timeframe,
                "after_days": c.after_days,
                "by_days": c.by_days,
                "rule": c.rule,
                "action": c.action,
                "sources": list(c.sources),
            }
            for c in result.checkpoints
        ],
    }


def _note(note: Note) -> Mapping[str, object]:
    return {"code": note.code, "message": note.message, "sources": list(note.sources)}


# --- Intake as stored data (Diagnosis.intake, API bodies): see Intake.from_dict ----------

_BOOL_FIELDS = (
    "circulation_or_sensation_problems",
    "able_to_bear_weight",
    "cleared",
)
_TEXT_FIELDS = ("side", "onset", "irritability", "activity", "protocol")
# Answers stored as text; intakes stored before they were required hold true/false.
_ANSWER_FIELDS = ("swelling", "recent_injury", "ottawa", "thompson", "cauda_equina")
_SET_FIELDS = ("red_flags", "comorbidities", "dvt_risks")
_INT_FIELDS = ("weeks_since_surgery", "age")
_DATE_FIELDS = ("onset_date", "assessed_on")


def intake_to_dict(intake: Intake) -> dict[str, object]:
    data: dict[str, object] = {"condition": intake.condition}
    for name in _TEXT_FIELDS + _ANSWER_FIELDS + _INT_FIELDS + _BOOL_FIELDS:
        data[name] = getattr(intake, name)
    for name in _DATE_FIELDS:
        value = getattr(intake, name)
        data[name] = value.isoformat() if value else None
    for name in _SET_FIELDS:
        data[name] = sorted(getattr(intake, name))
    return data
