"""Who may see which patient, and a therapist's caseload.

Every page and endpoint reads patients through these, so "not yours" is decided in one place
and always looks like "does not exist" (a 404, never a 403 that confirms the row)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, overload

from django.db.models import DateField, F, OuterRef, QuerySet, Subquery, UUIDField
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
    Programme,
    ProgrammeItem,
    ProgrammePhase,
)
from rehab.json_rows import NestedJSONObject, json_list, json_rows, row_json
from rehab.prepared import Param, PreparedQuery
from rehab.roles import visible_patients
from rehab.shortcuts import get_or_404


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """A therapist sees their own caseload, a patient only themself, anyone else nobody."""
    return Patient.objects.filter(visible_patients(user)).select_related("user")


def visible_patient(user: Any, patient_id: uuid.UUID | str) -> Patient:
    """The patient if `user` may see them; Http404 otherwise (and for a malformed id)."""
    return get_or_404(patients_visible_to(user).select_related("therapist__user"), patient_id)


@dataclass(frozen=True)
class CaseloadCondition:
    name: str


@dataclass(frozen=True)
class CaseloadProgramme:
    """What a caseload row shows of a patient's active programme (read as plain values: a
    page of model instances cost more than its read, issue 14)."""

    pk: uuid.UUID
    side: str
    started_on: date
    status: str
    condition: CaseloadCondition


@dataclass(frozen=True)
class CaseloadPhase:
    """The programme's current phase, as a caseload row shows it."""

    pk: int
    position: int
    name: str


@dataclass(frozen=True, slots=True)
class CaseloadFlag:
    """An open flag as a caseload row shows it and groups it (`group_flags`), read as plain
    values with the page: making a page of `Flag` instances, and writing their ids and times
    back out, cost a caseload page more than its whole programme (issue 14)."""

    id: str  # as the API writes a UUID (with dashes)
    patient_id: str  # as read: compared only with the same patient's other flags
    programme_id: str | None
    kind: str
    severity: int
    status: str
    message: str
    created_at: datetime
    resolved_at: datetime | None

    @property
    def pk(self) -> str:
        return self.id

    def get_kind_display(self) -> str:
        return str(Flag.Kind(self.kind).label)

    def get_severity_display(self) -> str:
        return str(Flag.Severity(self.severity).label)


@dataclass(frozen=True)
class CaseloadRow:
    patient: Patient
    programme: CaseloadProgramme | None
    week: int | None
    phase: CaseloadPhase | None
    adherence_7d: float | None  # percent, None when nothing was prescribed yet
    latest_pain_nrs: int | None
    latest_pain_on: date | None
    open_flags: list[CaseloadFlag]


def caseload_patients(therapist: Therapist, now: datetime) -> QuerySet[Patient]:
    """The therapist's patients, most urgent first (the highest open-flag severity, then name),
    each with their latest morning pain, open flags and active programme with the sessions
    done in the week to `now` (read by `caseload`). Ordered in the database so the API pages
    through it without building every row (`caseload_pages`)."""
    return _caseload_patients(therapist.pk, _done_since(now))


def _done_since(now: datetime) -> date:
    """The first day whose done sessions a caseload reads at `now`: a week before the earliest
    local date anyone has then (a day before the UTC date, from UTC-12)."""
    return now.astimezone(UTC).date() - timedelta(days=WEEK + 1)


def _caseload_patients(therapist_id: Any, since: Any) -> QuerySet[Patient]:
    worst = (
        Flag.objects.filter(patient=OuterRef("pk"))
        .exclude(status=Flag.Status.RESOLVED)
        .order_by("-severity")
        .values("severity")[:1]
    )
    latest = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-local_date")
    open_flags = Flag.objects.filter(patient=OuterRef("pk")).exclude(status=Flag.Status.RESOLVED)
    programme = Programme.objects.filter(patient=OuterRef("pk"), status=Programme.Status.ACTIVE)
    return (
        Patient.objects.filter(therapist_id=therapist_id)
        .select_related("user")
        # What a row shows of a patient and reads for their local date.
        .only("time_zone", "user__username", "user__first_name", "user__last_name")
        .annotate(
            worst_open_flag=Coalesce(Subquery(worst), 0),
            latest_pain_nrs=Subquery(latest.values("morning_pain_nrs")[:1]),
            latest_pain_on=Subquery(latest.values("local_date")[:1]),
            # Read for the page's rows only (the database orders and limits first): each
            # patient's open flags, and their active programme as a row shows it.
            open_flag_rows=json_rows(open_flags, "patient", row_json(Flag, fields=FLAG_FIELDS)),
            programme_row=Subquery(programme.order_by().values(row=_caseload_programme(since))[:1]),
        )
        .order_by("-worst_open_flag", "user__last_name", "user__first_name", "user__username")
    )


# What a caseload row shows of an open flag, and groups flags by (`group_flags`): a flag's
# evidence, suggestion and sources are for the patient's page (`CaseloadFlag` has no others).
FLAG_FIELDS = (
    "id",
    "patient_id",
    "programme_id",
    "kind",
    "severity",
    "status",
    "message",
    "created_at",
    "resolved_at",
)


# The caseload's patients compiled once per process (rehab.prepared): building the statement
# with its JSON subqueries cost more than running it (issue 14).
_CASELOAD = PreparedQuery(
    lambda: _caseload_patients(Param("therapist", UUIDField()), Param("since", DateField()))
)


class CaseloadPages:
    """`caseload_patients` for a paginator: its count, and the patients of a slice read in
    one prepared statement (the slice's bounds bound as parameters)."""

    def __init__(self, therapist: Therapist, now: datetime) -> None:
        self.therapist = therapist
        self.since = _done_since(now)

    def count(self) -> int:
        return Patient.objects.filter(therapist=self.therapist).count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> Patient: ...

    @overload
    def __getitem__(self, index: slice) -> list[Patient]: ...

    def __getitem__(self, index: int | slice) -> Patient | list[Patient]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, step = index.indices(self.count() if index.stop is None else index.stop)
        if step != 1:
            raise ValueError("A caseload page is a contiguous slice.")
        return _CASELOAD.fetch(
            therapist=self.therapist.pk,
            since=self.since,
            offset=start,
            limit=max(0, stop - start),
        )


def caseload_pages(therapist: Therapist, now: datetime) -> CaseloadPages:
    """The caseload at `now` for a paginator (give `caseload` the same `now`)."""
    return CaseloadPages(therapist, now)


class SessionCount(NamedTuple):
    """An item's dose as far as `sessions_per_week` reads it."""

    times_per_day: int | None
    days_per_week: int | None


def _caseload_programme(since: Any) -> JSONObject:
    """A programme as a caseload row shows it, as JSON: its condition's name, the current
    phase (an index lookup, not a join back through every revision), the phase's doses and the
    day of each session done from `since` on (for adherence)."""
    current = {
        "revision": OuterRef("current_revision"),
        "position": OuterRef("current_revision__current_phase"),
    }
    phase = ProgrammePhase.objects.filter(**current).order_by()  # the default joins upwards
    doses = ProgrammeItem.objects.filter(**{f"phase__{k}": v for k, v in current.items()})
    done = SessionLog.objects.filter(
        programme=OuterRef("pk"), status=SessionLog.Status.DONE, local_date__gte=since
    )
    return JSONObject(
        **{name: F(name) for name in CASELOAD_PROGRAMME_FIELDS},
        condition_name=F("condition__name"),
        current_phase=F("current_revision__current_phase"),
        phase_id=Subquery(phase.values("pk")[:1]),
        phase_name=Subquery(phase.values("name")[:1]),
        doses=json_rows(
            doses,
            "phase",
            NestedJSONObject(**{name: F(name) for name in SESSION_COUNT_FIELDS}),
            nested=True,
        ),
        done_on=json_rows(done, "programme", F("local_date"), nested=True),
    )


# What a caseload row reads of a programme (the web page also shows the side), and of an item
# to count the sessions due (`sessions_per_week`).
CASELOAD_PROGRAMME_FIELDS = (
    "id",
    "patient_id",
    "side",
    "started_on",
    "status",
    "condition_id",
    "current_revision_id",
)
SESSION_COUNT_FIELDS = ("times_per_day", "days_per_week")


def caseload(
    therapist: Therapist, now: datetime, patients: Iterable[Patient] | None = None
) -> list[CaseloadRow]:
    """The therapist's patients (or a page of `caseload_patients`, whose annotations it reads)
    with condition, week and phase, 7-day adherence, the latest morning pain and open flags
    (most severe first), most urgent first. One statement, whatever the caseload or page
    size: the patients (`caseload_patients` at `now`: with their programme, its phase, doses
    and the week's done sessions, and open flags, as JSON). Each row is made in one pass over
    its patient, of plain values (`CaseloadProgramme`, `CaseloadPhase`, `CaseloadFlag`), not
    model instances: a page of instances cost more than its read (issue 14)."""
    if patients is None:
        patients = _CASELOAD.fetch(therapist=therapist.pk, since=_done_since(now))
    conditions: dict[Any, CaseloadCondition] = {}  # shared by the rows of a condition
    rows = []
    for patient in patients:
        programme, phase, week, percent = _programme_facts(
            patient.programme_row,  # type: ignore[attr-defined]
            local_today(patient, now),
            conditions,
        )
        rows.append(
            CaseloadRow(
                patient=patient,
                programme=programme,
                week=week,
                phase=phase,
                adherence_7d=percent,
                latest_pain_nrs=patient.latest_pain_nrs,  # type: ignore[attr-defined]
                latest_pain_on=patient.latest_pain_on,  # type: ignore[attr-defined]
                open_flags=_open_flags(patient.open_flag_rows),  # type: ignore[attr-defined]
            )
        )
    return rows


def _programme_facts(
    row: dict[str, Any] | None, today: date, conditions: dict[Any, CaseloadCondition]
) -> tuple[CaseloadProgramme | None, CaseloadPhase | None, int | None, float | None]:
    """A patient's active programme read as JSON (`_caseload_programme`), its current phase,
    week and 7-day adherence on `today`; the last three only once it has been prescribed (has
    a current revision)."""
    if row is None:
        return None, None, None, None
    condition = conditions.get(row["condition_id"])
    if condition is None:
        condition = conditions[row["condition_id"]] = CaseloadCondition(row["condition_name"])
    programme = CaseloadProgramme(
        pk=_uuid(row["id"]),
        side=row["side"],
        started_on=_day(row["started_on"]),
        status=row["status"],
        condition=condition,
    )
    if row["current_revision_id"] is None:
        return programme, None, None, None
    phase = None
    doses: list[SessionCount] = []
    if row["phase_id"] is not None:
        phase = CaseloadPhase(
            pk=row["phase_id"], position=row["current_phase"], name=row["phase_name"]
        )
        doses = [
            SessionCount(d["times_per_day"], d["days_per_week"])
            for d in json_list(_nested(row["doses"]))
        ]
    # Counted as read, then each distinct day parsed once (a week holds ~10 sessions on at
    # most 9 days).
    done = Counter({_day(day): n for day, n in Counter(_nested(row["done_on"]) or ()).items()})
    percent = adherence(
        started_on=programme.started_on,
        today=today,
        sessions_per_week=sessions_per_week(doses),
        done_on=done,
    ).percent
    return programme, phase, programme_week(programme, today), percent


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _uuid(value: Any) -> uuid.UUID:
    """A UUID read as JSON: PostgreSQL writes it with dashes, SQLite as 32 hex digits."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _uuid_text(value: str) -> str:
    """A UUID read as JSON, as the API writes it (SQLite stores 32 hex digits)."""
    return value if len(value) == 36 else str(uuid.UUID(value))


def _moment(value: str) -> datetime:
    """A time read as JSON: PostgreSQL writes it with its offset, SQLite as naive UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _nested(value: Any) -> Any:
    """JSON nested in JSON: SQLite gives an inner subquery's JSON as its text."""
    return json.loads(value) if isinstance(value, str) else value


def _open_flags(rows: Any) -> list[CaseloadFlag]:
    """A patient's open flags (read with the page as JSON), most severe first, then newest."""
    flags = [
        CaseloadFlag(
            id=_uuid_text(row["id"]),
            patient_id=row["patient_id"],
            programme_id=row["programme_id"],
            kind=row["kind"],
            severity=row["severity"],
            status=row["status"],
            message=row["message"],
            created_at=_moment(row["created_at"]),
            resolved_at=None if row["resolved_at"] is None else _moment(row["resolved_at"]),
        )
        for row in json_list(rows)
    ]
    flags.sort(key=lambda flag: (flag.severity, flag.created_at), reverse=True)  # stable
    return flags
