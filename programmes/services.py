"""Writes for the programmes app: loading the catalogue, prescribing and adjusting programmes."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction

from rehab.exceptions import DomainError

from .catalogue_files import CATALOGUE_DIR, dose_fields, read_catalogue
from .models import (
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
from .planner import ProgrammePlan

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
        condition.timeframes.set(
            [_ref(timeframes, s, entry["slug"]) for s in entry["timeframes"]]
        )
        conditions[entry["slug"]] = condition

    for entry in files.protocols:
        _load_protocol(entry, conditions, exercises, report)

    for entry in files.ice_heat_rules:
        values = _pick(entry, ICE_HEAT_RULE_FIELDS)
        values["exercise"] = _ref(exercises, entry["exercise"], entry["modality"])
        _upsert(IceHeatRule, {"modality": entry["modality"]}, values, report)
    for entry in files.ice_heat_schedules:
        _upsert(
            IceHeatSchedule, {"slug": entry["slug"]}, _pick(entry, SCHEDULE_FIELDS), report
        )
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


RED_FLAG_FIELDS = ("question", "meaning", "urgency", "advice", "check_in", "sources")
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
EXERCISE_FIELDS = ("name", "category", "movement_tags", "instructions", "cautions")
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
        elif value is None and name in {"cautions", "refer_when", "note"}:
            value = ""
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
        name: ("" if isinstance(Dose._meta.get_field(name), (models.CharField, models.TextField)) else None)
        for name in Dose.DOSE_FIELDS
    }


def _ref(rows: Mapping[str, M], slug: str | None, where: str) -> Any:
    if slug is None:
        return None
    try:
        return rows[slug]
    except KeyError:
        raise DomainError(f"{where}: unknown reference {slug!r}", code="bad_catalogue") from None
