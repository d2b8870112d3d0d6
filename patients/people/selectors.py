"""Who may see which patient, and a therapist's caseload.

Every page and endpoint reads patients through these, so "not yours" is decided in one place
and always looks like "does not exist" (a 404, never a 403 that confirms the row)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

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
from rehab.roles import visible_patients
from rehab.shortcuts import get_or_404


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
    return (
        Patient.objects.filter(therapist=therapist)
        .select_related("user")
        # What a row shows of a patient and reads for their local date.
        .only("time_zone", "user__username", "user__first_name", "user__last_name")
        .annotate(
            worst_open_flag=Coalesce(Subquery(worst), 0),
            latest_pain_nrs=Subquery(latest.values("morning_pain_nrs")[:1]),
            latest_pain_on=Subquery(latest.values("local_date")[:1]),
        )
        .order_by("-worst_open_flag", "user__last_name", "user__first_name", "user__username")
    )


# What a caseload row reads of a programme (the web page also shows the side), and of an item
# to count the sessions due (`sessions_per_week`).
CASELOAD_PROGRAMME_FIELDS = (
    "patient_id",
    "side",
    "started_on",
    "status",
    "condition__name",
    "current_revision__current_phase",
)
SESSION_COUNT_FIELDS = ("times_per_day", "days_per_week")
# What a row shows of an open flag (the web page adds its labels).
CASELOAD_FLAG_FIELDS = ("patient_id", "kind", "severity", "status", "message", "created_at")


class SessionCount(NamedTuple):
    """An item's dose as far as `sessions_per_week` reads it."""

    times_per_day: int | None
    days_per_week: int | None


def caseload(
    therapist: Therapist, now: datetime, patients: Iterable[Patient] | None = None
) -> list[CaseloadRow]:
    """The therapist's patients (or a page of `caseload_patients`, whose annotations it reads)
    with condition, week and phase, 7-day adherence, the latest morning pain and open flags
    (most severe first), most urgent first. A fixed number of queries, whatever the caseload
    or page size."""
    patients = list(caseload_patients(therapist) if patients is None else patients)
    ids = [p.pk for p in patients]
    # The current phase's id and name read beside each programme (an index lookup each),
    # not joined back through every revision.
    current_phase = ProgrammePhase.objects.filter(
        revision=OuterRef("current_revision"), position=OuterRef("current_revision__current_phase")
    ).order_by()  # the default order joins up to the programme
    programmes = {
        p.patient_id: p
        for p in Programme.objects.filter(patient_id__in=ids, status=Programme.Status.ACTIVE)
        .select_related("condition", "current_revision")
        # Only the columns a row shows or counts with: the rest (the condition's and the
        # revision's JSON among them) would be decoded for every patient and never read.
        .only(*CASELOAD_PROGRAMME_FIELDS)
        .annotate(
            phase_id=Subquery(current_phase.values("pk")[:1]),
            phase_name=Subquery(current_phase.values("name")[:1]),
        )
        .order_by()
    }
    phases: dict[object, ProgrammePhase] = {
        p.pk: ProgrammePhase(
            id=p.phase_id,
            revision_id=p.current_revision_id,  # type: ignore[misc]  # set: the phase exists
            position=p.current_revision.current_phase,  # type: ignore[union-attr]
            name=p.phase_name,
        )
        for p in programmes.values()
        if p.phase_id is not None
    }
    # The current phases' doses as plain rows (not a prefetch: it would build a queryset and
    # a model per item only to count sessions).
    doses: dict[object, list[SessionCount]] = defaultdict(list)
    for phase_id, times_per_day, days_per_week in (
        ProgrammeItem.objects.filter(phase_id__in=[phase.pk for phase in phases.values()])
        .order_by()
        .values_list("phase_id", *SESSION_COUNT_FIELDS)
    ):
        doses[phase_id].append(SessionCount(times_per_day, days_per_week))
    earliest = min((local_today(p, now) for p in patients), default=now.date()) - timedelta(
        days=WEEK
    )
    done: dict[object, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for programme_id, day, count in (
        SessionLog.objects.filter(
            programme_id__in=[p.pk for p in programmes.values()],
            status=SessionLog.Status.DONE,
            local_date__gte=earliest,
        )
        .order_by()
        .values_list("programme_id", "local_date")
        .annotate(n=Count("id"))
    ):
        done[programme_id][day] = count
    flags: dict[object, list[Flag]] = defaultdict(list)
    for flag in (
        Flag.objects.filter(patient_id__in=ids)
        .exclude(status=Flag.Status.RESOLVED)
        .only(*CASELOAD_FLAG_FIELDS)
        .order_by("-severity", "-created_at")
    ):
        flags[flag.patient_id].append(flag)

    rows = []
    for patient in patients:
        programme = programmes.get(patient.pk)
        today = local_today(patient, now)
        phase = week = percent = None
        if programme is not None and programme.current_revision is not None:
            phase = phases.get(programme.pk)
            week = programme_week(programme, today)
            percent = adherence(
                started_on=programme.started_on,
                today=today,
                sessions_per_week=sessions_per_week(doses[phase.pk] if phase else []),
                done_on=done[programme.pk],
            ).percent
        rows.append(
            CaseloadRow(
                patient=patient,
                programme=programme,
                week=week,
                phase=phase,
                adherence_7d=percent,
                latest_pain_nrs=patient.latest_pain_nrs,  # type: ignore[attr-defined]
                latest_pain_on=patient.latest_pain_on,  # type: ignore[attr-defined]
                open_flags=flags[patient.pk],
            )
        )
    return rows
