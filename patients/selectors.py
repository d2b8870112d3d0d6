"""Reads for the patients app."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from patients.models import (
    CheckIn,
    Flag,
    Notification,
    Patient,
    QuestionnaireResponse,
    SessionLog,
    Therapist,
)
from patients.monitoring import WEEK, PatientState, adherence
from patients.reminders import training_weekdays
from patients.schedule import questionnaire_due, questionnaire_due_on
from programmes.models import (
    IceHeatSlot,
    Programme,
    ProgrammeItem,
    ProgrammePhase,
    ProgrammeRevision,
    RedFlag,
)
from programmes.vocab import Modality, Urgency

# How far back monitoring reads: the longest documented timeframe (symptoms beyond a few
# months, 90 days) plus a week of baseline.
HISTORY_DAYS = 120


def local_today(patient: Patient, now: datetime) -> date:
    return now.astimezone(patient.zone).date()


def active_programme(patient: Patient) -> Programme | None:
    return (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .select_related("current_revision", "condition", "diagnosis")
        .first()
    )


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


def current_phase_items(programme: Programme) -> list[ProgrammeItem]:
    revision = programme.current_revision
    assert revision is not None
    return list(
        ProgrammeItem.objects.filter(
            phase__revision=revision, phase__position=revision.current_phase
        ).select_related("exercise__regression", "phase")
    )


def sessions_per_week(items: list[ProgrammeItem]) -> int:
    """Twice-daily items make two sessions a day; 3-days-a-week items three sessions a week."""
    if not items:
        return 0
    per_day = max(item.times_per_day or 1 for item in items)
    days = max(item.days_per_week or WEEK for item in items)
    return per_day * days


def regression_suggestion(programme: Programme, items: list[ProgrammeItem]) -> str:
    revision = programme.current_revision
    assert revision is not None
    if revision.current_phase > 1:
        return f"Step back to phase {revision.current_phase - 1}."
    easier = [
        f"{item.exercise.name} → {item.exercise.regression.name}"
        for item in items
        if item.exercise.regression is not None
    ]
    if easier:
        return "Use the easier versions: " + "; ".join(easier) + "."
    return "Reduce sets or load for the next sessions."


def patient_state(patient: Patient, programme: Programme, now: datetime) -> PatientState:
    """What the monitoring rules read for one active programme: the one pipeline's state
    (patients/sweep.py), read as a chunk of one."""
    from patients.sweep import states_for  # the sweep builds on this module's helpers

    del patient  # the programme names its patient
    return states_for(programme_ids=[programme.pk], now=now)[programme.pk]


# --- Visibility ---------------------------------------------------------------------------
# Every page and endpoint reads patients through these, so "not yours" is decided in one
# place and always looks like "does not exist" (a 404, never a 403 that confirms the row).


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """A therapist sees their own caseload, a patient only themself, anyone else nobody."""
    therapist = getattr(user, "therapist", None)
    if therapist is not None:
        return Patient.objects.filter(therapist=therapist).select_related("user")
    patient = getattr(user, "patient", None)
    if patient is not None:
        return Patient.objects.filter(pk=patient.pk).select_related("user")
    return Patient.objects.none()


def get_or_404(queryset: QuerySet[Any], pk: uuid.UUID | str) -> Any:
    """The row with `pk` in `queryset` (already narrowed to what the caller may see), else
    Http404 — also for a malformed id, so a bad id and someone else's id look the same."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise Http404("Not found.") from None


def visible_patient(user: Any, patient_id: uuid.UUID | str) -> Patient:
    """The patient if `user` may see them; Http404 otherwise (and for a malformed id)."""
    return get_or_404(patients_visible_to(user).select_related("therapist__user"), patient_id)


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    """A patient's own programmes; a therapist's caseload's programmes."""
    return Programme.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "condition", "protocol", "current_revision", "patient__user"
    )


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


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


# --- Schedule: what is due on a local date ------------------------------------------------


def item_due_on(item: ProgrammeItem, day: date, started_on: date) -> bool:
    """Items done on n days a week are spread evenly (3 → Mon, Wed, Fri); daily otherwise."""
    if day < started_on:
        return False
    return day.weekday() in training_weekdays(item.days_per_week or WEEK)


def sessions_due_on(items: list[ProgrammeItem], day: date, started_on: date) -> int:
    """How many sessions fall on `day`: the most times-per-day among the items due that day."""
    return max(
        (item.times_per_day or 1 for item in items if item_due_on(item, day, started_on)),
        default=0,
    )


def ice_heat_due_on(
    slots: list[IceHeatSlot], day: date, started_on: date, injured_on: date | None = None
) -> list[IceHeatSlot]:
    """The slots due on `day`. A slot's days count from the injury (`injured_on`, the
    diagnosis's onset date) when known, else from the programme's start (F22: ice for the
    first days after the injury [R28]); nothing is due before the programme starts."""
    if day < started_on:
        return []
    day_index = (day - min(injured_on or started_on, started_on)).days
    return [
        s for s in slots if day_index >= s.from_day and (s.to_day is None or day_index <= s.to_day)
    ]


def programme_week(programme: Programme, today: date) -> int:
    """Week 1 is the first seven days of the programme."""
    return max(0, (today - programme.started_on).days) // WEEK + 1


# --- A red flag pauses the programme ---------------------------------------------------------

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
PAUSE_FALLBACK_ADVICE = "Stop your exercises and wait for your clinician to contact you."


def urgency_heading(urgency: str) -> str:
    """The patient-facing heading for a red flag's urgency; the emergency number is a setting
    (REHAB_EMERGENCY_NUMBER)."""
    value = Urgency(urgency) if urgency in Urgency.values else UNKNOWN_URGENCY
    return URGENCY_HEADINGS[value].format(number=settings.REHAB_EMERGENCY_NUMBER)


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
    return set(flags.values_list("patient_id", flat=True).distinct())


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


@dataclass(frozen=True)
class DueSession:
    slot: int
    time: str
    items: list[ProgrammeItem]
    log: SessionLog | None


@dataclass(frozen=True)
class Today:
    """What a patient has to do on their own local date, and what they have already logged."""

    patient: Patient
    local_date: date
    programme: Programme | None
    phase: ProgrammePhase | None = None
    week: int = 0
    sessions: list[DueSession] = field(default_factory=list)
    ice_heat: list[IceHeatSlot] = field(default_factory=list)
    check_in: CheckIn | None = None
    questionnaire: str = ""
    questionnaire_due: bool = False
    questionnaire_due_on: date | None = None  # a week after the last response, or today
    paused: Pause | None = None
    check_in_questions: list[RedFlag] = field(default_factory=list)
    swelling: bool = False  # the latest check-in does not rule swelling out: no heat


def today_for(patient: Patient, now: datetime) -> Today:
    """Today's sessions (each with its items and any log), ice/heat slots, the morning check-in
    and whether the weekly questionnaire is due, in a fixed number of queries.

    While a red flag is unresolved (`pause_for`) no sessions, ice/heat or questionnaire are
    offered: the flag's advice says stop, and the weekly questionnaire asks about hopping and
    heel raises (the safer reading, F3). The check-in is still offered."""
    today = local_today(patient, now)
    programme = active_programme(patient)
    if programme is None or programme.current_revision is None:
        return Today(
            patient=patient,
            local_date=today,
            programme=None,
            check_in_questions=check_in_questions(),
        )
    paused = pause_for(patient)
    revision = programme.current_revision
    phase = (
        ProgrammePhase.objects.filter(revision=revision, position=revision.current_phase)
        .prefetch_related("items__exercise")
        .first()
    )
    items = list(phase.items.all()) if phase is not None else []
    logs = {
        log.slot: log
        for log in SessionLog.objects.filter(
            programme=programme, local_date=today
        ).prefetch_related("exercises__exercise")
    }
    times = list(patient.session_times)
    sessions = [
        DueSession(
            slot=slot,
            time=times[slot - 1] if slot <= len(times) else "",
            items=[
                item
                for item in items
                if item_due_on(item, today, programme.started_on)
                and (item.times_per_day or 1) >= slot
            ],
            log=logs.get(slot),
        )
        for slot in range(1, sessions_due_on(items, today, programme.started_on) + 1)
    ]
    questionnaire = programme.condition.questionnaire
    last_response = last_questionnaire_on(patient, questionnaire)
    latest = latest_check_in(patient, today)
    swelling = swelling_not_ruled_out(latest)
    ice_heat = [
        slot
        for slot in ice_heat_due_on(
            list(revision.ice_heat_slots.all()),
            today,
            programme.started_on,
            injury_date(programme),
        )
        # Heat only while there is no swelling (SEED-002); ice stays.
        if not (swelling and slot.modality == Modality.HEAT)
    ]
    return Today(
        patient=patient,
        local_date=today,
        programme=programme,
        phase=phase,
        week=programme_week(programme, today),
        sessions=[] if paused else sessions,
        ice_heat=[] if paused else ice_heat,
        check_in=latest if latest is not None and latest.local_date == today else None,
        questionnaire=questionnaire,
        questionnaire_due=not paused and questionnaire_due(last_on=last_response, today=today),
        questionnaire_due_on=max(
            today, questionnaire_due_on(last_on=last_response, started_on=programme.started_on)
        ),
        paused=paused,
        check_in_questions=check_in_questions(
            programme.condition_id, dvt_risk=has_dvt_risk(programme)
        ),
        swelling=swelling,
    )


def latest_check_in(patient: Patient, day: date) -> CheckIn | None:
    """The patient's most recent check-in on or before their local `day`."""
    return (
        CheckIn.objects.filter(patient=patient, local_date__lte=day).order_by("-local_date").first()
    )


def last_questionnaire_on(
    patient: Patient, questionnaire: str, on_or_before: date | None = None
) -> date | None:
    """The date of the patient's last response to `questionnaire` (up to a day, if given)."""
    responses = QuestionnaireResponse.objects.filter(patient=patient, questionnaire=questionnaire)
    if on_or_before is not None:
        responses = responses.filter(local_date__lte=on_or_before)
    return responses.order_by("-local_date").values_list("local_date", flat=True).first()


def swelling_not_ruled_out(latest: CheckIn | None) -> bool:
    """No heat after a check-in that says the area is swollen, or that did not answer (an
    older app): unknown is treated as swollen, as at intake (F1; SEED-002). With no check-in
    yet, the intake's answer (the planner's) stands."""
    return latest is not None and latest.swelling is not False


def swelling_reported(patient: Patient, day: date) -> bool:
    """Whether the latest check-in on or before `day` leaves swelling possible (no heat)."""
    return swelling_not_ruled_out(latest_check_in(patient, day))


# --- Caseload -----------------------------------------------------------------------------


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


def caseload(therapist: Therapist, now: datetime) -> list[CaseloadRow]:
    """The therapist's patients with condition, week and phase, 7-day adherence, the latest
    morning pain and open flags (most severe first). A fixed number of queries, whatever the
    caseload size."""
    patients = list(Patient.objects.filter(therapist=therapist).select_related("user"))
    ids = [p.pk for p in patients]
    programmes = {
        p.patient_id: p
        for p in Programme.objects.filter(
            patient_id__in=ids, status=Programme.Status.ACTIVE
        ).select_related("condition", "current_revision")
    }
    revisions = [p.current_revision_id for p in programmes.values()]
    phases: dict[tuple[object, int], ProgrammePhase] = {
        (phase.revision_id, phase.position): phase
        for phase in ProgrammePhase.objects.filter(
            revision_id__in=revisions, position=F("revision__current_phase")
        ).prefetch_related("items")
    }
    earliest = min((local_today(p, now) for p in patients), default=now.date()) - timedelta(
        days=WEEK
    )
    done: dict[object, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for programme_id, day, count in (
        SessionLog.objects.filter(
            programme__in=programmes.values(),
            status=SessionLog.Status.DONE,
            local_date__gte=earliest,
        )
        .values_list("programme_id", "local_date")
        .annotate(n=Count("id"))
    ):
        done[programme_id][day] = count
    latest_pain = _latest_check_ins(ids)
    flags: dict[object, list[Flag]] = defaultdict(list)
    for flag in (
        Flag.objects.filter(patient_id__in=ids)
        .exclude(status=Flag.Status.RESOLVED)
        .order_by("-severity", "-created_at")
    ):
        flags[flag.patient_id].append(flag)

    rows = []
    for patient in patients:
        programme = programmes.get(patient.pk)
        today = local_today(patient, now)
        phase = week = percent = None
        if programme is not None and programme.current_revision is not None:
            phase = phases.get(
                (programme.current_revision_id, programme.current_revision.current_phase)
            )
            week = programme_week(programme, today)
            items = list(phase.items.all()) if phase is not None else []
            percent = adherence(
                started_on=programme.started_on,
                today=today,
                sessions_per_week=sessions_per_week(items),
                done_on=done[programme.pk],
            ).percent
        check_in = latest_pain.get(patient.pk)
        rows.append(
            CaseloadRow(
                patient=patient,
                programme=programme,
                week=week,
                phase=phase,
                adherence_7d=percent,
                latest_pain_nrs=check_in.morning_pain_nrs if check_in else None,
                latest_pain_on=check_in.local_date if check_in else None,
                open_flags=flags[patient.pk],
            )
        )
    # Most urgent first: the highest open-flag severity, then name.
    rows.sort(key=lambda r: -max((f.severity for f in r.open_flags), default=0))
    return rows


def _latest_check_ins(patient_ids: list[uuid.UUID]) -> dict[uuid.UUID, CheckIn]:
    latest = (
        CheckIn.objects.filter(patient_id=OuterRef("patient_id"))
        .order_by("-local_date")
        .values("pk")[:1]
    )
    return {
        c.patient_id: c
        for c in CheckIn.objects.filter(patient_id__in=patient_ids, pk=Subquery(latest))
    }


# --- Progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    """One programme week. Pain values are means of the week's entries (0–10); adherence is a
    percentage; the score is the week's last questionnaire total (None for the FAAM, which
    has no total) and `subscales` that response's subscales (FAAM ADL and Sports, %)."""

    week: int
    starts_on: date
    pain_during: float | None
    pain_morning: float | None
    adherence: float | None
    score: float | None
    subscales: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredResponse:
    local_date: date
    total: float | None
    subscales: dict[str, float | None]


@dataclass(frozen=True)
class Progress:
    """`responses` are the programme's questionnaire responses, oldest first: the first is
    the baseline that the charts measure change from."""

    programme: Programme | None
    questionnaire: str
    weeks: list[WeekPoint]
    responses: tuple[ScoredResponse, ...] = ()


def weekly_progress(patient: Patient, now: datetime) -> Progress:
    """Week-by-week pain (during exercise, next morning), adherence and questionnaire score
    since the programme started, in a fixed number of queries."""
    programme = active_programme(patient)
    if programme is None or programme.current_revision is None:
        return Progress(programme=None, questionnaire="", weeks=[])
    today = local_today(patient, now)
    start = programme.started_on
    items = current_phase_items(programme)
    per_week = sessions_per_week(items)

    during: dict[int, list[int]] = defaultdict(list)
    done: dict[date, int] = defaultdict(int)
    logs = SessionLog.objects.filter(programme=programme, local_date__gte=start).annotate(
        max_pain_during=Max("exercises__pain_during_nrs")
    )
    for log in logs:
        if log.status == SessionLog.Status.DONE:
            done[log.local_date] += 1
        if log.max_pain_during is not None:
            during[_week_of(start, log.local_date)].append(log.max_pain_during)
    mornings: dict[int, list[int]] = defaultdict(list)
    for day, pain in CheckIn.objects.filter(patient=patient, local_date__gte=start).values_list(
        "local_date", "morning_pain_nrs"
    ):
        mornings[_week_of(start, day)].append(pain)
    questionnaire = programme.condition.questionnaire
    responses = tuple(
        ScoredResponse(day, value, subscales or {})
        for day, value, subscales in QuestionnaireResponse.objects.filter(
            patient=patient, questionnaire=questionnaire, local_date__gte=start
        )
        .order_by("local_date", "created_at")
        .values_list("local_date", "score", "subscales")
    )
    last_of_week = {_week_of(start, r.local_date): r for r in responses}

    weeks = []
    for week in range(1, programme_week(programme, today) + 1):
        starts_on = start + timedelta(days=(week - 1) * WEEK)
        ends_on = min(today, starts_on + timedelta(days=WEEK - 1))
        weeks.append(
            WeekPoint(
                week=week,
                starts_on=starts_on,
                pain_during=_mean(during.get(week)),
                pain_morning=_mean(mornings.get(week)),
                adherence=adherence(
                    started_on=starts_on,
                    today=ends_on,
                    sessions_per_week=per_week,
                    done_on=done,
                    days=WEEK,
                ).percent,
                score=last.total if (last := last_of_week.get(week)) else None,
                subscales=dict(last.subscales) if last else {},
            )
        )
    return Progress(
        programme=programme, questionnaire=questionnaire, weeks=weeks, responses=responses
    )


def _week_of(start: date, day: date) -> int:
    return (day - start).days // WEEK + 1


def _mean(values: list[int] | None) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


# --- Histories ----------------------------------------------------------------------------


def recent_sessions(patient: Patient, limit: int = 30) -> list[SessionLog]:
    return list(
        SessionLog.objects.filter(patient=patient)
        .prefetch_related("exercises__exercise")
        .order_by("-local_date", "-slot")[:limit]
    )


def revision_history(programme: Programme) -> list[ProgrammeRevision]:
    return list(
        ProgrammeRevision.objects.filter(programme=programme)
        .select_related("changed_by")
        .order_by("-number")
    )


def programme_detail(programme: Programme) -> list[ProgrammePhase]:
    """The current revision's phases with their items and exercises (three queries)."""
    return list(
        ProgrammePhase.objects.filter(revision_id=programme.current_revision_id)
        .prefetch_related("items__exercise")
        .order_by("position")
    )


# --- Web pages ----------------------------------------------------------------------------


# The swelling question of the morning check-in (a yes pauses heat, not ice; SEED-002).
SWELLING_QUESTION = "Is the sore area swollen this morning?"


# Asked every morning of a patient whose intake recorded a DVT risk (a boot or other
# immobilisation, surgery, long travel), whatever their condition lists (requirement 6).
DVT_RISK_FLAGS = ("dvt_signs", "pe_signs")


def check_in_questions(condition_id: Any = None, *, dvt_risk: bool = False) -> list[RedFlag]:
    """The red-flag questions of the morning check-in, in catalogue order, with their
    patient-facing question and advice: those asked of everyone (`check_in`) plus, for a
    patient on a programme, their condition's own flags marked `check_in_for_condition`
    (F14: e.g. a swollen calf for a calf strain), and the DVT questions after a DVT risk."""
    asked = Q(check_in=True)
    if condition_id is not None:
        asked |= Q(check_in_for_condition=True, conditions=condition_id)
    if dvt_risk:
        asked |= Q(slug__in=DVT_RISK_FLAGS)
    return list(RedFlag.objects.filter(asked).distinct().order_by("id"))


def red_flag_advice(slugs: list[str]) -> list[RedFlag]:
    """The catalogue's flags for `slugs`, most urgent first: what to tell the patient now."""
    flags = list(RedFlag.objects.filter(slug__in=slugs))
    return sorted(flags, key=lambda f: -Urgency(f.urgency).rank)


def recent_check_ins(patient: Patient, limit: int = 30) -> list[CheckIn]:
    return list(CheckIn.objects.filter(patient=patient).order_by("-local_date")[:limit])


def questionnaire_history(patient: Patient) -> list[QuestionnaireResponse]:
    return list(
        QuestionnaireResponse.objects.filter(patient=patient).order_by("-local_date", "-created_at")
    )


def patient_flags(patient: Patient) -> list[Flag]:
    """Open and acknowledged flags first (most severe, newest), then resolved ones."""
    flags = list(
        Flag.objects.filter(patient=patient).select_related("acknowledged_by", "resolved_by")
    )
    return sorted(
        flags,
        key=lambda f: (f.status == Flag.Status.RESOLVED, -f.severity, -f.created_at.timestamp()),
    )


def programmes_of(patient: Patient) -> list[Programme]:
    return list(
        Programme.objects.filter(patient=patient)
        .select_related("condition", "protocol", "current_revision")
        .order_by("-started_on", "-created_at")
    )


def visible_programme(user: Any, programme_id: uuid.UUID | str) -> Programme:
    """A programme of the therapist's own caseload; Http404 for anyone else (patients too:
    adjusting is the therapist's page)."""
    if getattr(user, "therapist", None) is None:
        raise Http404("No such programme.")
    return get_or_404(programmes_visible_to(user).select_related("diagnosis"), programme_id)


# --- Patient-scoped lists for the API: built from the caller, so another patient's row is
# simply absent (a 404), with the related rows each serializer touches fetched up front. ---


def session_logs_of(patient: Patient) -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(patient=patient).prefetch_related("exercises__exercise")


def check_ins_of(patient: Patient) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient=patient)


def questionnaire_responses_of(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(patient=patient)
