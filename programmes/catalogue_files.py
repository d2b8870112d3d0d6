"""Reading and checking the catalogue's YAML files (programmes/catalogue/).

Pure file parsing: it returns plain dicts shaped like the models' fields and raises
CatalogueFileError naming the file and entry for anything malformed. Writing to the database is
`programmes.services.load_catalogue`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from programmes.vocab import SOURCE_CODE_RE

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"

DOSE_KEYS = (
    "sets",
    "reps",
    "reps_max",
    "hold_s",
    "times_per_day",
    "days_per_week",
    "load",
    "tempo",
    "rest_s",
)


class CatalogueFileError(ValueError):
    pass


@dataclass(frozen=True)
class CatalogueFiles:
    sources: list[dict[str, Any]]
    red_flags: list[dict[str, Any]]
    timeframes: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    exercises: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    protocols: list[dict[str, Any]]
    ice_heat_rules: list[dict[str, Any]]
    ice_heat_schedules: list[dict[str, Any]]

    def cited_sources(self) -> Iterable[tuple[str, str]]:
        """(where, source id) for every source id any entry cites."""
        for kind in ("red_flags", "timeframes", "thresholds", "exercises", "conditions"):
            for entry in getattr(self, kind):
                for code in entry["sources"] + entry.get("dose_sources", []):
                    yield f"{kind}:{entry['slug']}", code
        for protocol in self.protocols:
            for code in protocol["sources"]:
                yield f"protocols:{protocol['slug']}", code
            for code in protocol["pain_limits"]["sources"]:
                yield f"protocols:{protocol['slug']}:pain_limits", code
            for phase in protocol["phases"]:
                where = f"protocols:{protocol['slug']}:{phase['name']}"
                for code in phase["sources"]:
                    yield where, code
                for item in phase["items"]:
                    for code in item["sources"]:
                        yield f"{where}:{item['exercise']}", code
        for entry in self.ice_heat_rules:
            for code in entry["sources"]:
                yield f"ice_heat:{entry['modality']}", code
        for entry in self.ice_heat_schedules:
            for code in entry["sources"]:
                yield f"ice_heat:{entry['slug']}", code


def read_catalogue(directory: Path = CATALOGUE_DIR) -> CatalogueFiles:
    ice_heat = _load(directory / "ice_heat.yaml")
    if not isinstance(ice_heat, dict):
        raise CatalogueFileError("ice_heat.yaml: expected 'rules' and 'schedules'")
    files = CatalogueFiles(
        sources=_entries(directory / "sources.yaml", key="code"),
        red_flags=_entries(directory / "red_flags.yaml"),
        timeframes=_entries(directory / "timeframes.yaml"),
        thresholds=_entries(directory / "thresholds.yaml"),
        exercises=[_exercise(e) for e in _entries(directory / "exercises.yaml")],
        conditions=_entries(directory / "conditions.yaml"),
        protocols=[_protocol(p) for p in _entries(directory / "protocols.yaml")],
        ice_heat_rules=_list(ice_heat.get("rules"), "ice_heat.yaml rules", key="modality"),
        ice_heat_schedules=_list(ice_heat.get("schedules"), "ice_heat.yaml schedules"),
    )
    pattern = re.compile(SOURCE_CODE_RE)
    for where, code in files.cited_sources():
        if not pattern.match(str(code)):
            raise CatalogueFileError(f"{where}: {code!r} is not a source id")
    return files


def _load(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise CatalogueFileError(f"missing catalogue file {path.name}") from None
    except yaml.YAMLError as error:
        raise CatalogueFileError(f"{path.name}: not valid YAML: {error}") from None


def _entries(path: Path, key: str = "slug") -> list[dict[str, Any]]:
    return _list(_load(path), path.name, key=key)


def _list(data: Any, where: str, key: str = "slug") -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise CatalogueFileError(f"{where}: expected a list of entries")
    seen: set[str] = set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or key not in entry:
            raise CatalogueFileError(f"{where}: entry {index} has no {key!r}")
        if entry[key] in seen:
            raise CatalogueFileError(f"{where}: {entry[key]!r} appears twice")
        seen.add(entry[key])
        entry.setdefault("sources", [])
        if not isinstance(entry["sources"], list):
            raise CatalogueFileError(f"{where}: {entry[key]}: sources must be a list")
    return data


def dose_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The dose part of an entry, as model field values (`notes` → `dose_notes`)."""
    out = {key: data[key] for key in DOSE_KEYS if data.get(key) is not None}
    if data.get("notes"):
        out["dose_notes"] = str(data["notes"]).strip()
    for key in ("load", "tempo"):
        if key in out:
            out[key] = str(out[key])
    return out


def _exercise(entry: dict[str, Any]) -> dict[str, Any]:
    dose = entry.get("dose") or {}
    if not isinstance(dose, dict):
        raise CatalogueFileError(f"exercises.yaml: {entry['slug']}: dose must be a mapping")
    entry["dose_fields"] = dose_fields(dose)
    # Why a default dose is ours (INFERENCE), so the planner asks the clinician to confirm it.
    entry["dose_to_confirm"] = str(dose.get("to_confirm") or "").strip()
    entry.setdefault("dose_sources", [])
    return entry


PAIN_LIMIT_KEYS = ("during_max", "after_max", "next_morning_margin", "progress_max")


def _protocol(entry: dict[str, Any]) -> dict[str, Any]:
    limits = entry.get("pain_limits")
    if not isinstance(limits, dict) or not limits.get("sources"):
        raise CatalogueFileError(
            f"protocols.yaml: {entry['slug']}: needs pain_limits with their sources"
        )
    for key in PAIN_LIMIT_KEYS:
        value = limits.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            raise CatalogueFileError(
                f"protocols.yaml: {entry['slug']}: pain_limits.{key} must be a whole number 0-10"
            )
    phases = entry.get("phases")
    if not isinstance(phases, list) or not phases:
        raise CatalogueFileError(f"protocols.yaml: {entry['slug']}: needs phases")
    for phase in phases:
        phase.setdefault("sources", [])
        items = phase.get("items")
        if not isinstance(items, list):
            raise CatalogueFileError(f"protocols.yaml: {entry['slug']}: phase without items")
        for item in items:
            if "exercise" not in item:
                raise CatalogueFileError(f"protocols.yaml: {entry['slug']}: item w/o exercise")
            item.setdefault("sources", [])
            item.setdefault("when", {})
    return entry


# Asked every morning of a patient whose intake recorded a DVT risk (a boot or other
# immobilisation, surgery, long travel), whatever their condition lists (requirement 6).
DVT_RISK_FLAGS = ("dvt_signs", "pe_signs")


def asked_in_check_in(
    *, slug: str, check_in: bool, check_in_for_condition: bool, listed: bool, dvt_risk: bool
) -> bool:
    """The one rule for whether the morning check-in asks a red flag: asked of everyone
    (`check_in`), or the patient's condition lists it (`listed`) and it is marked
    `check_in_for_condition` (F14), or the patient has a DVT risk and it is a DVT question."""
    return check_in or (check_in_for_condition and listed) or (dvt_risk and slug in DVT_RISK_FLAGS)


def check_in_red_flag_slugs(directory: Path | None = None) -> tuple[str, ...]:
    """Every red flag some patient's check-in can ask (any condition, with a DVT risk), in
    catalogue order, read from the catalogue files (`CATALOGUE_DIR` as it is when called):
    the API schema's enum of red-flag answers, which GET /check-in/questions/ serves."""
    return _check_in_red_flag_slugs(directory or CATALOGUE_DIR)


@functools.cache
def _check_in_red_flag_slugs(directory: Path) -> tuple[str, ...]:
    listed = {
        str(slug)
        for condition in _entries(directory / "conditions.yaml")
        for slug in condition.get("red_flags") or []
    }
    return tuple(
        str(entry["slug"])
        for entry in _entries(directory / "red_flags.yaml")
        if asked_in_check_in(
            slug=str(entry["slug"]),
            check_in=bool(entry.get("check_in")),
            check_in_for_condition=bool(entry.get("check_in_for_condition")),
            listed=entry["slug"] in listed,
            dvt_risk=True,
        )
    )
