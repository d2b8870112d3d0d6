"""Writes for the programmes app: loading the catalogue, prescribing and adjusting programmes."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from programmes.catalogue_files import CATALOGUE_DIR, dose_fields, read_catalogue
from programmes.knowledge import DoseSpec
from programmes.models import (
    Checkpoint,
    Condition,
    Dose,
    Exercise,
    IceHeatRule,
    IceHeatSchedule,
    IceHeatSlot,
    Programme,
    ProgrammeItem,
    ProgrammePhase,
    ProgrammeRevision,
    Protocol,
    ProtocolItem,
    ProtocolPhase,
    RedFlag,
    Source,
    Threshold,
    Timeframe,
)
from programmes.planner import (
    Intake,
    PlanResult,
    ProgrammePlan,
    contraindicated_tags,
    plan,
    validate_intake,
)
from programmes.selectors import catalogue_snapshot
from programmes.text import describe_dose
from rehab import limits
from rehab.exceptions import DomainError
from rehab.roles import is_therapist_of

M = TypeVar("M", bound=models.Model)


# --- Catalogue ----------------------------------------------------------------------------


@dataclass
class LoadReport:
    """How many rows of each kind were created, updated or left unchanged."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    def total(self, kind: str) -> int:
        return sum(n for (k, _), n in self.counts.items() if k == kind)

    @property
    def changed(self) -> int:
        return sum(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")

    def lines(self) -> list[str]:
        kinds = dict.fromkeys(k for k, _ in self.counts)
        return [
            f"{kind}: {self.total(kind)} "
            f"({self.counts[(kind, 'created')]} created, {self.counts[(kind, 'updated')]} "
            f"updated, {self.counts[(kind, 'unchanged')]} unchanged)"
            for kind in kinds
        ]


def _upsert(
    model: type[M],
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    report: LoadReport,
    kind: str | None = None,
) -> M:
    """Create or update one row; save (after full_clean) only when something differs, so a
    second load of the same files writes nothing."""
    kind = kind or str(model._meta.verbose_name_plural)
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        outcome = "created"
    else:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            report.add(kind, "unchanged")
            return obj
        for name in changed:
            setattr(obj, name, values[name])
        outcome = "updated"
    obj.full_clean()
    obj.save()
    report.add(kind, outcome)
    return obj


def _trim(model: type[models.Model], parent: Mapping[str, Any], keep: int) -> None:
    """Delete ordered children past position `keep` (a phase or item removed from a file)."""
    model._default_manager.filter(**parent, position__gt=keep).delete()


@transaction.atomic
def load_catalogue(*, directory: Path = CATALOGUE_DIR) -> LoadReport:
    """Load the YAML catalogue into the database, idempotently (update-or-create on slugs).

    Entries missing from the files are left alone: stored programmes may refer to them."""
    files = read_catalogue(directory)
    report = LoadReport()

    for entry in files.sources:
        _upsert(
            Source,
            {"code": entry["code"]},
            {"citation": entry["citation"], "url": entry.get("url") or ""},
            report,
        )
    for entry in files.red_flags:
        _upsert(RedFlag, {"slug": entry["slug"]}, _pick(entry, RED_FLAG_FIELDS), report)
    for entry in files.timeframes:
        _upsert(Timeframe, {"slug": entry["slug"]}, _pick(entry, TIMEFRAME_FIELDS), report)
    for entry in files.thresholds:
        _upsert(Threshold, {"slug": entry["slug"]}, _pick(entry, THRESHOLD_FIELDS), report)

    exercises: dict[str, Exercise] = {}
    for entry in files.exercises:
        values = _pick(entry, EXERCISE_FIELDS) | _blank_dose() | entry["dose_fields"]
        exercises[entry["slug"]] = _upsert(Exercise, {"slug": entry["slug"]}, values, report)
    for entry in files.exercises:
        links = {
            "progression": _ref(exercises, entry.get("progression"), entry["slug"]),
            "regression": _ref(exercises, entry.get("regression"), entry["slug"]),
        }
        _upsert(Exercise, {"slug": entry["slug"]}, links, report, kind="exercise links")

    red_flags = {r.slug: r for r in RedFlag.objects.all()}
    timeframes = {t.slug: t for t in Timeframe.objects.all()}
    conditions: dict[str, Condition] = {}
    for entry in files.conditions:
        condition = _upsert(
            Condition, {"slug": entry["slug"]}, _pick(entry, CONDITION_FIELDS), report
        )
        condition.red_flags.set([_ref(red_flags, s, entry["slug"]) for s in entry["red_flags"]])
        condition.timeframes.set([_ref(timeframes, s, entry["slug"]) for s in entry["timeframes"]])
        conditions[entry["slug"]] = condition

    for entry in files.protocols:
        _load_protocol(entry, conditions, exercises, report)

    for entry in files.ice_heat_rules:
        values = _pick(entry, ICE_HEAT_RULE_FIELDS)
        values["exercise"] = _ref(exercises, entry["exercise"], entry["modality"])
        _upsert(IceHeatRule, {"modality": entry["modality"]}, values, report)
    for entry in files.ice_heat_schedules:
        _upsert(IceHeatSchedule, {"slug": entry["slug"]}, _pick(entry, SCHEDULE_FIELDS), report)
    return report


def _load_protocol(
    entry: Mapping[str, Any],
    conditions: Mapping[str, Condition],
    exercises: Mapping[str, Exercise],
    report: LoadReport,
) -> None:
    condition = _ref(conditions, entry["condition"], entry["slug"])
    # Clear a changed default first so the one-default-per-condition constraint never trips.
    if entry.get("default"):
        Protocol.objects.filter(condition=condition, is_default=True).exclude(
            slug=entry["slug"]
        ).update(is_default=False)
    protocol = _upsert(
        Protocol,
        {"slug": entry["slug"]},
        {
            "condition": condition,
            "name": entry["name"],
            "summary": entry["summary"].strip(),
            "is_default": bool(entry.get("default")),
            "sources": entry["sources"],
            "pain_during_max": entry["pain_limits"]["during_max"],
            "pain_after_max": entry["pain_limits"]["after_max"],
            "pain_next_morning_margin": entry["pain_limits"]["next_morning_margin"],
            "pain_progress_max": entry["pain_limits"]["progress_max"],
            "pain_limits_sources": entry["pain_limits"]["sources"],
        },
        report,
    )
    for position, phase_entry in enumerate(entry["phases"], start=1):
        phase = _upsert(
            ProtocolPhase,
            {"protocol": protocol, "position": position},
            _pick(phase_entry, PHASE_FIELDS),
            report,
        )
        for item_position, item in enumerate(phase_entry["items"], start=1):
            values = _blank_dose() | dose_fields(item)
            values |= {
                "exercise": _ref(exercises, item["exercise"], entry["slug"]),
                "when": item["when"],
                "sources": item["sources"],
            }
            _upsert(ProtocolItem, {"phase": phase, "position": item_position}, values, report)
        _trim(ProtocolItem, {"phase": phase}, len(phase_entry["items"]))
    _trim(ProtocolPhase, {"protocol": protocol}, len(entry["phases"]))


RED_FLAG_FIELDS = (
    "question",
    "meaning",
    "urgency",
    "advice",
    "check_in",
    "check_in_for_condition",
    "sources",
)
TIMEFRAME_FIELDS = (
    "after_days",
    "by_days",
    "applies_when",
    "rule",
    "action",
    "metric",
    "threshold",
    "sources",
)
THRESHOLD_FIELDS = ("value", "unit", "description", "sources")
EXERCISE_FIELDS = (
    "name",
    "category",
    "movement_tags",
    "instructions",
    "cautions",
    "patient_cautions",
    "dose_to_confirm",
    "figure",
)
EXERCISE_LIST_FIELDS = ("sources", "dose_sources")
CONDITION_FIELDS = (
    "name",
    "summary",
    "home_status",
    "contraindicated_tags",
    "refer_if",
    "age_min",
    "age_max",
    "ice_heat",
    "acute_injury",
    "referral_urgency",
    "screening",
    "refer_when",
    "questionnaire",
    "sources",
)
PHASE_FIELDS = (
    "name",
    "start_week",
    "end_week",
    "goals",
    "entry_criteria",
    "progression_criteria",
    "advice",
    "sources",
)
ICE_HEAT_RULE_FIELDS = (
    "max_minutes",
    "min_gap_hours",
    "barrier",
    "allowed_when",
    "safety_rules",
    "sources",
)
SCHEDULE_FIELDS = ("modality", "situation", "times", "from_day", "to_day", "note", "sources")
_LIST_FIELDS = {
    "screening",
    "goals",
    "entry_criteria",
    "progression_criteria",
    "advice",
    "refer_if",
    "contraindicated_tags",
    "ice_heat",
    "instructions",
    "safety_rules",
    "times",
    "sources",
    "dose_sources",
}


def _pick(entry: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Model values for `names` from a YAML entry: texts stripped, missing lists empty."""
    out: dict[str, Any] = {}
    for name in names:
        value = entry.get(name)
        if value is None and name in _LIST_FIELDS:
            value = []
        elif value is None and name in {
            "cautions",
            "refer_when",
            "note",
            "referral_urgency",
            "dose_to_confirm",
            "figure",
        }:
            value = ""
        elif value is None and name == "acute_injury":
            value = False
        elif value is None and name in {"check_in", "check_in_for_condition"}:
            value = False  # a red flag is asked at intake only unless it says otherwise
        elif name == "patient_cautions":
            value = {key: [t.strip() for t in texts] for key, texts in (value or {}).items()}
        elif isinstance(value, str):
            value = value.strip()
        elif isinstance(value, list):
            value = [v.strip() if isinstance(v, str) else v for v in value]
        out[name] = value
    if "category" in out:  # exercises also carry their two source lists
        out |= {name: entry.get(name) or [] for name in EXERCISE_LIST_FIELDS}
    return out


def _blank_dose() -> dict[str, Any]:
    """Every dose field empty, so a key removed from a file is cleared on reload."""
    return {
        name: (
            ""
            if isinstance(Dose._meta.get_field(name), (models.CharField, models.TextField))
            else None
        )
        for name in Dose.DOSE_FIELDS
    }


def _ref(rows: Mapping[str, M], slug: str | None, where: str) -> Any:
    if slug is None:
        return None
    try:
        return rows[slug]
    except KeyError:
        raise DomainError(f"{where}: unknown reference {slug!r}", code="bad_catalogue") from None


# --- Prescribing and adjusting ------------------------------------------------------------


@transaction.atomic
def prescribe_programme(
    *,
    diagnosis: Any,
    plan: ProgrammePlan,
    prescribed_by: Any,
    started_on: date,
) -> Programme:
    """Store a planner result as the patient's active programme (revision 1).

    Refuses a plan for another condition than the diagnosis, and a second active programme."""
    patient = diagnosis.patient
    if plan.condition != diagnosis.condition.slug:
        raise DomainError(
            "The plan is for a different condition than the diagnosis.", code="plan_mismatch"
        )
    if Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE).exists():
        raise DomainError(
            "This patient already has an active programme; end it before prescribing another.",
            code="active_programme_exists",
        )
    programme = Programme(
        patient=patient,
        diagnosis=diagnosis,
        condition=diagnosis.condition,
        protocol=Protocol.objects.get(slug=plan.protocol),
        side=plan.side or diagnosis.side,
        started_on=started_on,
        prescribed_by=prescribed_by,
    )
    programme.full_clean(exclude=["current_revision"])
    programme.save()

    revision = ProgrammeRevision.objects.create(
        programme=programme,
        number=1,
        kind=ProgrammeRevision.Kind.PRESCRIBED,
        reason="Initial prescription.",
        summary=f"Prescribed {programme.protocol.name}.",
        changed_by=prescribed_by,
        current_phase=1,
        warnings=[
            {"code": n.code, "message": n.message, "sources": list(n.sources)}
            for n in plan.warnings
        ],
    )
    exercises = {
        e.slug: e
        for e in Exercise.objects.filter(
            slug__in={i.exercise for p in plan.phases for i in p.items}
        )
    }
    phases = [
        _PhaseDraft(
            fields={
                "position": p.position,
                "name": p.name,
                "start_week": p.start_week,
                "end_week": p.end_week,
                "goals": list(p.goals),
                "progression_criteria": list(p.progression_criteria),
                "advice": list(p.advice),
                "sources": list(p.sources),
            },
            items=[
                _ItemDraft(
                    key=uuid.uuid4(),
                    exercise=exercises[i.exercise],
                    dose={name: getattr(i.dose, name) for name in Dose.DOSE_FIELDS},
                    sources=list(i.sources),
                )
                for i in p.items
            ],
        )
        for p in plan.phases
    ]
    _write_revision_body(revision, phases)
    IceHeatSlot.objects.bulk_create(
        IceHeatSlot(
            revision=revision,
            modality=slot.modality,
            max_minutes=slot.max_minutes,
            min_gap_hours=slot.min_gap_hours,
            times=list(slot.times),
            from_day=slot.from_day,
            to_day=slot.to_day,
            safety_rules=list(slot.safety_rules),
            sources=list(slot.sources),
        )
        for slot in plan.ice_heat
    )
    timeframes = {
        t.slug: t
        for t in Timeframe.objects.filter(slug__in=[c.timeframe for c in plan.checkpoints])
    }
    Checkpoint.objects.bulk_create(
        Checkpoint(
            programme=programme,
            timeframe=timeframes[c.timeframe],
            after_days=c.after_days,
            due_on=started_on + timedelta(days=c.after_days),
            rule=c.rule,
            action=c.action,
            sources=list(c.sources),
        )
        for c in plan.checkpoints
    )
    programme.current_revision = revision
    programme.save(update_fields=["current_revision", "updated_at"])
    return programme


# --- Changes: each read from request-shaped data by its `from_dict` ---------------------------
#
# The web's adjust forms and the API's AdjustmentInput both hand their values to `from_dict`
# (keys as in the API body: item, dose, phase, exercise, override_reason, to_phase; other keys
# are ignored), so both ask for the same fields, bound them alike (rehab.limits) and give the
# same errors: DomainError with a message per field, a dose's fields named on their own
# (`sets`, as the web form and the service's dose check name them).

NOT_AN_ITEM = "Choose an exercise of the current programme."
EMPTY_DOSE = "Fill in at least one part of the dose to change."


class _Reader:
    """Reads one change's fields from `data`, collecting a message per bad field; `done()`
    raises them together. A bad field reads as a placeholder that `done()` never lets out."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def bad(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def item(self) -> uuid.UUID:
        value = self.data.get("item")
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        self.bad("item", NOT_AN_ITEM)
        return uuid.UUID(int=0)

    def whole(self, name: str) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.bad(name, "Choose a phase.")
            return 0
        return value

    def text(self, name: str, *, required: bool) -> str:
        value = self.data.get(name)
        if value in (None, "") and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.bad(name, "Choose an exercise." if name == "exercise" else "Must be text.")
            return ""
        return value

    def dose(self, *, required: bool) -> dict[str, Any]:
        """The dose fields given: a number within rehab.limits (null clears it: "no figure")
        or text. `required`: at least one (a dose change that changes nothing is refused);
        otherwise none given means the catalogue's dose."""
        given = self.data.get("dose")
        if given is None:
            given = {}
        if not isinstance(given, Mapping):
            self.bad("dose", "Must be an object of dose fields.")
            return {}
        dose: dict[str, Any] = {}
        for name, value in given.items():
            bounds = limits.DOSE_BOUNDS.get(name)
            if name not in Dose.DOSE_FIELDS:
                self.bad(name, "Not a dose field.")
            elif bounds is None:
                if isinstance(value, str):
                    dose[name] = value
                else:
                    self.bad(name, "Must be text.")
            elif value is None or (
                not isinstance(value, bool)
                and isinstance(value, int)
                and bounds.minimum <= value <= bounds.maximum
            ):
                dose[name] = value
            else:
                self.bad(name, bounds.message)
        if required and not given:
            self.bad("dose", EMPTY_DOSE)
        return dose

    def done(self) -> None:
        if self.errors:
            raise DomainError(next(iter(self.errors.values()))[0], fields=self.errors)


@dataclass(frozen=True)
class ChangeDose:
    item: uuid.UUID
    dose: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChangeDose:
        read = _Reader(data)
        change = cls(item=read.item(), dose=read.dose(required=True))
        read.done()
        return change


@dataclass(frozen=True)
class AddExercise:
    phase: int
    exercise: str
    dose: Mapping[str, Any] = field(default_factory=dict)
    override_reason: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AddExercise:
        read = _Reader(data)
        change = cls(
            phase=read.whole("phase"),
            exercise=read.text("exercise", required=True),
            dose=read.dose(required=False),
            override_reason=read.text("override_reason", required=False),
        )
        read.done()
        return change


@dataclass(frozen=True)
class RemoveExercise:
    item: uuid.UUID

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RemoveExercise:
        read = _Reader(data)
        change = cls(item=read.item())
        read.done()
        return change


@dataclass(frozen=True)
class SwapExercise:
    """Replace an item's exercise, keeping its key. The new exercise brings its own catalogue
    dose and dose note (never the replaced item's), with `dose` laid over it."""

    item: uuid.UUID
    exercise: str
    override_reason: str = ""
    dose: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SwapExercise:
        read = _Reader(data)
        change = cls(
            item=read.item(),
            exercise=read.text("exercise", required=True),
            override_reason=read.text("override_reason", required=False),
            dose=read.dose(required=False),
        )
        read.done()
        return change


@dataclass(frozen=True)
class MovePhase:
    to_phase: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MovePhase:
        read = _Reader(data)
        change = cls(to_phase=read.whole("to_phase"))
        read.done()
        return change


Change = ChangeDose | AddExercise | RemoveExercise | SwapExercise | MovePhase
# The API's `change` names (AdjustmentInput) and the type that reads each.
CHANGE_KINDS: dict[str, type[Change]] = {
    "change_dose": ChangeDose,
    "add_exercise": AddExercise,
    "remove_exercise": RemoveExercise,
    "swap_exercise": SwapExercise,
    "move_phase": MovePhase,
}


@dataclass
class _ItemDraft:
    key: uuid.UUID
    exercise: Exercise
    dose: dict[str, Any]
    sources: list[str]
    override_reason: str = ""


@dataclass
class _PhaseDraft:
    fields: dict[str, Any]
    items: list[_ItemDraft]


@transaction.atomic
def adjust_programme(
    *, programme: Programme, changed_by: Any, change: Change, reason: str
) -> ProgrammeRevision:
    """Record one change as a new immutable revision (who, when, why) and make it current.

    Adding or swapping in an exercise whose movement tags are contraindicated for this patient
    is refused unless `override_reason` is given; the override is stored on the item and the
    revision so it shows in the history."""
    # Lock the programme row so two concurrent adjustments get consecutive revision numbers.
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != Programme.Status.ACTIVE:
        raise DomainError("Only an active programme can be adjusted.", code="programme_ended")
    if not _is_patients_therapist(changed_by, programme):
        raise DomainError(
            "Only the patient's therapist can adjust this programme.", code="permission_denied"
        )
    if not reason or not reason.strip():
        raise DomainError(
            "Say why the programme is being changed.", fields={"reason": ["A reason is required."]}
        )

    current = programme.current_revision
    assert current is not None
    phases = [
        _PhaseDraft(
            fields={name: getattr(p, name) for name in _PHASE_COPY_FIELDS},
            items=[
                _ItemDraft(
                    key=i.key,
                    exercise=i.exercise,
                    dose=i.dose_dict(),
                    sources=list(i.sources),
                    override_reason=i.override_reason,
                )
                for i in p.items.all()
            ],
        )
        for p in current.phases.prefetch_related("items__exercise")
    ]
    kind, summary, override, current_phase = _apply(change, phases, programme, current)
    revision = ProgrammeRevision.objects.create(
        programme=programme,
        number=current.number + 1,
        kind=kind,
        reason=reason.strip(),
        summary=summary,
        override_reason=override,
        changed_by=changed_by,
        current_phase=current_phase,
        warnings=current.warnings,
    )
    _write_revision_body(revision, phases)
    IceHeatSlot.objects.bulk_create(
        IceHeatSlot(
            revision=revision,
            **{name: getattr(slot, name) for name in _SLOT_COPY_FIELDS},
        )
        for slot in current.ice_heat_slots.all()
    )
    programme.current_revision = revision
    programme.save(update_fields=["current_revision", "updated_at"])
    return revision


_PHASE_COPY_FIELDS = (
    "position",
    "name",
    "start_week",
    "end_week",
    "goals",
    "progression_criteria",
    "advice",
    "sources",
)
_SLOT_COPY_FIELDS = (
    "modality",
    "max_minutes",
    "min_gap_hours",
    "times",
    "from_day",
    "to_day",
    "safety_rules",
    "sources",
)


def _is_patients_therapist(user: Any, programme: Programme) -> bool:
    return is_therapist_of(user, programme.patient)


def _find_item(phases: list[_PhaseDraft], key: uuid.UUID) -> tuple[_PhaseDraft, _ItemDraft]:
    for phase in phases:
        for item in phase.items:
            if item.key == key:
                return phase, item
    raise DomainError(
        "That exercise is not in the current programme.",
        fields={"item": ["Unknown programme item."]},
    )


def _exercise(slug: str) -> Exercise:
    try:
        return Exercise.objects.get(slug=slug)
    except Exercise.DoesNotExist:
        raise DomainError(
            f"Unknown exercise {slug!r}.", fields={"exercise": [f"Unknown exercise {slug!r}."]}
        ) from None


CLINIC_ONLY = "This is given in clinic only, not at home."


def _check_contraindication(programme: Programme, exercise: Exercise, override: str) -> str:
    """'' when the exercise is safe for this patient; the override reason when it is not but
    the therapist overrode; DomainError otherwise.

    A clinic-only treatment is refused whatever the override: a programme is a home list."""
    if "clinic_only" in exercise.movement_tags:
        raise DomainError(
            f"{exercise.name} cannot be part of a home programme.",
            code="clinic_only",
            fields={"exercise": [CLINIC_ONLY]},
        )
    catalogue = catalogue_snapshot()
    intake = Intake.from_dict(programme.diagnosis.intake)
    banned = contraindicated_tags(intake, catalogue.conditions[programme.condition.slug], catalogue)
    clash = sorted(set(exercise.movement_tags) & banned)
    if not clash:
        return ""
    if override.strip():
        return override.strip()
    raise DomainError(
        f"{exercise.name} is contraindicated for this patient ({', '.join(clash)}).",
        code="contraindicated",
        fields={
            "override_reason": [
                f"{exercise.name} involves {', '.join(clash)}, which is contraindicated for "
                f"{programme.condition.name}. Give a reason to override."
            ]
        },
    )


def _apply(
    change: Change,
    phases: list[_PhaseDraft],
    programme: Programme,
    current: ProgrammeRevision,
) -> tuple[str, str, str, int]:
    """Apply `change` to the drafts in place; return (kind, summary, override, phase)."""
    Kind = ProgrammeRevision.Kind
    phase_now = current.current_phase
    if isinstance(change, ChangeDose):
        _, item = _find_item(phases, change.item)
        before = describe_dose(_spec(item.dose))
        _check_dose_fields(change.dose)
        item.dose = _overlay(item.dose, change.dose)
        after = describe_dose(_spec(item.dose))
        return Kind.DOSE_CHANGED, f"{item.exercise.name}: {before} → {after}", "", phase_now
    if isinstance(change, AddExercise):
        if not 1 <= change.phase <= len(phases):
            raise DomainError("No such phase.", fields={"phase": ["No such phase."]})
        exercise = _exercise(change.exercise)
        override = _check_contraindication(programme, exercise, change.override_reason)
        _check_dose_fields(change.dose)
        dose = _overlay(exercise.dose_dict(), change.dose)
        phases[change.phase - 1].items.append(
            _ItemDraft(uuid.uuid4(), exercise, dose, list(exercise.sources), override)
        )
        summary = f"Added {exercise.name} to phase {change.phase}: {describe_dose(_spec(dose))}"
        return Kind.EXERCISE_ADDED, summary, override, phase_now
    if isinstance(change, RemoveExercise):
        phase, item = _find_item(phases, change.item)
        phase.items.remove(item)
        return Kind.EXERCISE_REMOVED, f"Removed {item.exercise.name}", "", phase_now
    if isinstance(change, SwapExercise):
        phase, item = _find_item(phases, change.item)
        exercise = _exercise(change.exercise)
        override = _check_contraindication(programme, exercise, change.override_reason)
        _check_dose_fields(change.dose)
        # The new exercise's own dose: the replaced one's (and its note) may not suit it at all.
        dose = _overlay(exercise.dose_dict(), change.dose)
        summary = f"Swapped {item.exercise.name} for {exercise.name}: {describe_dose(_spec(dose))}"
        item.exercise, item.dose, item.sources, item.override_reason = (
            exercise,
            dose,
            list(exercise.sources),
            override,
        )
        return Kind.EXERCISE_SWAPPED, summary, override, phase_now
    if isinstance(change, MovePhase):
        if not 1 <= change.to_phase <= len(phases) or change.to_phase == phase_now:
            raise DomainError(
                "Choose another existing phase.",
                fields={
                    "to_phase": [
                        f"Choose a phase from 1 to {len(phases)} "
                        f"other than the current {phase_now}."
                    ]
                },
            )
        direction = "Advanced" if change.to_phase > phase_now else "Stepped back"
        return (
            Kind.PHASE_CHANGED,
            f"{direction} from phase {phase_now} to {change.to_phase}",
            "",
            change.to_phase,
        )
    raise TypeError(f"unknown change {change!r}")


def _overlay(dose: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """`dose` with `change` laid over it; typing an exact `reps` without an upper bound
    clears the old `reps_max` ("3 × 10–15" + reps 12 → "3 × 12", not "3 × 12–15": F42)."""
    out = {**dose, **change}
    if change.get("reps") is not None and "reps_max" not in change:
        out["reps_max"] = None
    return out


def _check_dose_fields(dose: Mapping[str, Any]) -> None:
    unknown = set(dose) - set(Dose.DOSE_FIELDS)
    if unknown:
        raise DomainError(
            "Unknown dose fields.",
            fields={name: ["Not a dose field."] for name in sorted(unknown)},
        )


def _spec(dose: Mapping[str, Any]) -> DoseSpec:
    return DoseSpec(**{k: v for k, v in dose.items() if v is not None})


def _write_revision_body(revision: ProgrammeRevision, phases: list[_PhaseDraft]) -> None:
    """Insert the phases and items of a new revision, validating every dose first."""
    phase_rows = [ProgrammePhase(revision=revision, **p.fields) for p in phases]
    ProgrammePhase.objects.bulk_create(phase_rows)
    items = []
    for phase_row, draft in zip(phase_rows, phases, strict=True):
        for position, item in enumerate(draft.items, start=1):
            row = ProgrammeItem(
                phase=phase_row,
                key=item.key,
                position=position,
                exercise=item.exercise,
                sources=item.sources,
                override_reason=item.override_reason,
                **item.dose,
            )
            try:
                row.clean_fields(exclude=["phase", "exercise", "sources"])
                row.clean()
            except ValidationError as error:
                raise DomainError("The dose is not valid.", fields=error.message_dict) from None
            items.append(row)
    ProgrammeItem.objects.bulk_create(items)


def preview_plan(*, intake: Intake) -> PlanResult:
    """What the planner would prescribe (or why it refers), without storing anything."""
    catalogue = catalogue_snapshot()
    validate_intake(intake, catalogue)
    return plan(intake, catalogue)
