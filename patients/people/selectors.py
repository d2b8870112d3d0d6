"""Who may see which patient, and a therapist's caseload.

Every page and endpoint reads patients through these, so "not yours" is decided in one place
and always looks like "does not exist" (a 404, never a 403 that confirms the row)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from django.db.models import F, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, JSONObject

from patients.models import (
    CheckIn,
    Flag,
    Patient,
    SessionLog,
    Therapist,
)
from patients.monitoring.rules import WEEK, adherence
from patients.schedule import local_today, programme_week, sessions_per_week
from programmes.models import (
    Condition,
    Programme,
    ProgrammeItem,
    ProgrammePhase,
    ProgrammeRevision,
)
from rehab.json_rows import json_list, json_rows, model_from_json, row_json
from rehab.roles import visible_patients
from rehab.shortcuts import get_or_404

M = TypeVar("M", bound=Model)


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """A therapist sees their own caseload, a patient only themself, anyone else nobody."""
    return Patient.objects.filter(visible_patients(user)).select_related("user")


def visible_patient(user: Any, patient_id: uuid.UUID | str) -> Patient:
    """The patient if `user` may see them; Http404 otherwise (and for a malformed id)."""
    return get_or_404(patients_visible_to(user).select_related("therapist__user"), patient_id)


@dataclass(frozen=True)
class CaseloadRow:
    patient: Patient
    programme: Programme | None
    week: int | None
    phase: ProgrammePhase | None
    adherence_7d: float | None  # percent, None when nothing was prescribed yet
    latest_pain_nrs: int | None
    latest_pain_on: date | None
    open_flags: list[Flag]


def caseload_patients(therapist: Therapist) -> QuerySet[Patient]:
    """The therapist's patients, most urgent first (the highest open-flag severity, then name),
    each with their latest morning pain. Ordered in the database so the API pages through it
    without building every row."""
    worst = (
        Flag.objects.filter(patient=OuterRef("pk"))
        .exclude(status=Flag.Status.RESOLVED)
        .order_by("-severity")
        .values("severity")[:1]
    )
    latest = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-local_date")
    open_flags = Flag.objects.filter(patient=OuterRef("pk")).exclude(status=Flag.Status.RESOLVED)
    return (
        Patient.objects.filter(therapist=therapist)
        .select_related("user")
        # What a row shows of a patient and reads for their local date.
        .only("time_zone", "user__username", "user__first_name", "user__last_name")
        .annotate(
            worst_open_flag=Coalesce(Subquery(worst), 0),
            latest_pain_nrs=Subquery(latest.values("morning_pain_nrs")[:1]),
            latest_pain_on=Subquery(latest.values("local_date")[:1]),
            # Read for the page's rows only (the database orders and limits first).
            open_flag_rows=json_rows(open_flags, "patient", row_json(Flag)),
        )
        .order_by("-worst_open_flag", "user__last_name", "user__first_name", "user__username")
    )


class SessionCount(NamedTuple):
    """An item's dose as far as `sessions_per_week` reads it."""

    times_per_day: int | None
    days_per_week: int | None


def _programme_facts(ids: list[Any], since: date) -> QuerySet[Programme, dict[str, Any]]:
    """Each patient's active programme as the caseload shows it, in one statement: its
    condition's name, the current phase (an index lookup each, not a join back through every
    revision), the phase's doses and the dates of the sessions done since `since`."""
    current = {
        "revision": OuterRef("current_revision"),
        "position": OuterRef("current_revision__current_phase"),
    }
    phase = ProgrammePhase.objects.filter(**current).order_by()  # the default joins upwards
    doses = ProgrammeItem.objects.filter(**{f"phase__{k}": v for k, v in current.items()})
    done = SessionLog.objects.filter(
        programme=OuterRef("pk"), status=SessionLog.Status.DONE, local_date__gte=since
    )
    return (
        Programme.objects.filter(patient_id__in=ids, status=Programme.Status.ACTIVE)
        .order_by()
        .values(
            "id",
            "patient_id",
            "side",
            "started_on",
            "status",
            "condition_id",
            "current_revision_id",
        )
        .annotate(
            condition_name=F("condition__name"),
            current_phase=F("current_revision__current_phase"),
            phase_id=Subquery(phase.values("pk")[:1]),
            phase_name=Subquery(phase.values("name")[:1]),
            doses=json_rows(
                doses,
                "phase",
                JSONObject(times_per_day=F("times_per_day"), days_per_week=F("days_per_week")),
            ),
            done_on=json_rows(done, "programme", F("local_date")),
        )
    )


def caseload(
    therapist: Therapist, now: datetime, patients: Iterable[Patient] | None = None
) -> list[CaseloadRow]:
    """The therapist's patients (or a page of `caseload_patients`, whose annotations it reads)
    with condition, week and phase, 7-day adherence, the latest morning pain and open flags
    (most severe first), most urgent first. Two statements, whatever the caseload or page
    size: the patients, and their programmes with everything a row shows of them. Programmes,
    conditions and phases hold only the columns a row shows (others load on access)."""
    patients = list(caseload_patients(therapist) if patients is None else patients)
    db = (patients[0]._state.db if patients else None) or "default"
    earliest = min((local_today(p, now) for p in patients), default=now.date())
    facts = _programme_facts([p.pk for p in patients], earliest - timedelta(days=WEEK))
    programmes: dict[Any, Programme] = {}
    phases: dict[Any, ProgrammePhase] = {}
    doses: dict[Any, list[SessionCount]] = {}
    done: dict[Any, Counter[date]] = {}
    conditions: dict[Any, Condition] = {}
    for row in facts:
        programme = _partial(
            Programme,
            db,
            id=row["id"],
            patient_id=row["patient_id"],
            side=row["side"],
            started_on=row["started_on"],
            status=row["status"],
            condition_id=row["condition_id"],
        )
        condition = conditions.get(row["condition_id"])
        if condition is None:
            condition = conditions[row["condition_id"]] = _partial(
                Condition, db, id=row["condition_id"], name=row["condition_name"]
            )
        programme.condition = condition
        if row["current_revision_id"] is not None:
            programme.current_revision = _partial(
                ProgrammeRevision,
                db,
                id=row["current_revision_id"],
                current_phase=row["current_phase"],
            )
        if row["phase_id"] is not None:
            phases[programme.pk] = _partial(
                ProgrammePhase,
                db,
                id=row["phase_id"],
                revision_id=row["current_revision_id"],
                position=row["current_phase"],
                name=row["phase_name"],
            )
        doses[programme.pk] = [
            SessionCount(d["times_per_day"], d["days_per_week"]) for d in json_list(row["doses"])
        ]
        done[programme.pk] = Counter(_day(d) for d in row["done_on"] or [])
        programmes[programme.patient_id] = programme

    rows = []
    for patient in patients:
        active = programmes.get(patient.pk)
        today = local_today(patient, now)
        phase = week = percent = None
        if active is not None and active.current_revision_id is not None:
            phase = phases.get(active.pk)
            week = programme_week(active, today)
            percent = adherence(
                started_on=active.started_on,
                today=today,
                sessions_per_week=sessions_per_week(doses[active.pk] if phase else []),
                done_on=done[active.pk],
            ).percent
        rows.append(
            CaseloadRow(
                patient=patient,
                programme=active,
                week=week,
                phase=phase,
                adherence_7d=percent,
                latest_pain_nrs=patient.latest_pain_nrs,  # type: ignore[attr-defined]
                latest_pain_on=patient.latest_pain_on,  # type: ignore[attr-defined]
                open_flags=_open_flags(patient, db),
            )
        )
    return rows


def _partial(model: type[M], db: str, **values: Any) -> M:
    """An instance holding only `values` (as `.only()` would load it; others load on
    access)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _open_flags(patient: Any, db: str) -> list[Flag]:
    """The patient's open flags (read with the page), most severe first, then newest."""
    flags = [model_from_json(Flag, row, db) for row in json_list(patient.open_flag_rows)]
    flags.sort(key=lambda flag: flag.created_at, reverse=True)
    flags.sort(key=lambda flag: flag.severity, reverse=True)
    return flags
