"""Reads of what a patient did and has to do: Today, weekly progress, recent history and the
check-in questions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import (
    DateField,
    Exists,
    Max,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    UUIDField,
)
from django.db.models.functions import JSONObject

from patients.models import (
    CheckIn,
    ExerciseLog,
    Patient,
    QuestionnaireResponse,
    SessionLog,
)
from patients.monitoring.rules import WEEK, adherence
from patients.monitoring.selectors import (
    Pause,
    has_dvt_risk,
    injury_date,
    pause_for,
    unresolved_red_flags,
)
from patients.schedule import (
    SessionState,
    current_slot,
    ice_heat_due_on,
    items_in_session,
    late_in_day,
    local_today,
    programme_week,
    questionnaire_due,
    questionnaire_due_on,
    session_states,
    sessions_due_on,
    sessions_per_week,
)
from programmes.catalogue_files import asked_in_check_in
from programmes.knowledge import PainLimitsSpec
from programmes.models import (
    Exercise,
    IceHeatSlot,
    Programme,
    ProgrammeItem,
    ProgrammePhase,
    RedFlag,
)
from programmes.selectors import (
    active_programme,
    catalogue_snapshot,
    current_phase_items,
    red_flags_asked,
)
from programmes.vocab import Modality
from rehab.json_rows import json_list, json_rows, model_from_json, row_json
from rehab.prepared import Param, PreparedQuery

M = TypeVar("M", bound=Model)

# --- Today -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueSession:
    slot: int
    time: str
    items: list[ProgrammeItem]
    log: SessionLog | None
    # Where it stands at the moment Today was read (schedule.session_states).
    state: SessionState = SessionState.UPCOMING


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
    # The protocol's own pain limits (protocols.yaml pain_limits) for "How your pain guides
    # you"; None when the protocol has none (the page then defers to the therapist).
    pain_limits: PainLimitsSpec | None = None
    # The session to show first (due now, else next, else missed; schedule.current_slot) and
    # whether it is late in the patient's day (after their last reminder time).
    current_slot: int | None = None
    late_in_day: bool = False

    @property
    def sessions_in_order(self) -> list[DueSession]:
        """The sessions as Today shows them: the current one first, then the others still to
        do, then those logged (each group by slot)."""
        return sorted(
            self.sessions,
            key=lambda s: (s.slot != self.current_slot, s.log is not None, s.slot),
        )

    @property
    def still_to_do(self) -> list[DueSession]:
        """The sessions not logged yet, by slot."""
        return [s for s in self.sessions if s.log is None]


def today_for(patient: Patient, now: datetime) -> Today:
    """Today's sessions (each with its items and any log), ice/heat slots, the morning check-in
    and whether the weekly questionnaire is due, in one statement: the programme with the
    day's facts (`_programme_with_facts`; two more for a paused patient's pause). The
    check-in questions come from the catalogue snapshot.

    While a red flag is unresolved (`pause_for`) no sessions, ice/heat or questionnaire are
    offered: the flag's advice says stop, and the weekly questionnaire asks about hopping and
    heel raises (the safer reading, F3). The check-in is still offered."""
    today = local_today(patient, now)
    programme = _programme_with_facts(patient, today)
    if programme is None or programme.current_revision is None:
        return Today(
            patient=patient,
            local_date=today,
            programme=None,
            check_in_questions=check_in_questions(),
        )
    # Only a paused patient pays for reading the pause (two queries); the logs and ice/heat
    # are not needed then.
    paused = pause_for(patient) if programme.paused else None  # type: ignore[attr-defined]
    db = programme._state.db or "default"
    exercises: dict[Any, Exercise] = {}
    phase, items = _phase_and_items_of(programme, exercises, db)
    logs = {} if paused else _logs_of(programme, exercises, db)
    times = list(patient.session_times)
    slots = [
        (slot, times[slot - 1] if slot <= len(times) else "")
        for slot in range(1, sessions_due_on(items, today, programme.started_on) + 1)
    ]
    clock = now.astimezone(patient.zone).time()
    states = session_states(
        slots=slots,
        times=times,
        logged={slot: str(log.status) for slot, log in logs.items()},
        now=clock,
    )
    sessions = [
        DueSession(
            slot=slot,
            time=at,
            items=items_in_session(items, today, programme.started_on, slot),
            log=logs.get(slot),
            state=states[slot],
        )
        for slot, at in slots
    ]
    questionnaire = programme.condition.questionnaire
    last_response = programme.last_response_on  # type: ignore[attr-defined]
    latest = _latest_check_in_of(programme)
    swelling = swelling_not_ruled_out(latest)
    ice_heat = [
        slot
        for slot in ice_heat_due_on(
            _ice_heat_slots_of(programme), today, programme.started_on, injury_date(programme)
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
        pain_limits=pain_limits_of(programme.protocol.slug),
        current_slot=None if paused else current_slot(states),
        late_in_day=late_in_day(times=times, now=clock),
    )


def pain_limits_of(protocol: str) -> PainLimitsSpec | None:
    """A protocol's own pain limits from the catalogue snapshot, as the monitoring rules read
    them (patients/monitoring/sweep.py); None for a protocol without them."""
    spec = catalogue_snapshot().protocols.get(protocol)
    return spec.pain_limits if spec is not None else None


def _programme_with_facts_query() -> QuerySet[Programme]:
    """The active programme with its revision, condition and diagnosis, and the day's facts
    in the same statement: the current phase and its items (with their exercise), the day's
    logs and their entries (with theirs), the last questionnaire response's date, whether a
    red flag pauses it, the latest check-in on or before `today` and the revision's ice/heat
    slots (rows as JSON). Prepared once (`_PROGRAMME`)."""
    today = Param("today", DateField())
    current = {
        "revision": OuterRef("current_revision"),
        "position": OuterRef("current_revision__current_phase"),
    }
    items = ProgrammeItem.objects.filter(
        **{f"phase__{name}": value for name, value in current.items()}
    )
    entries = ExerciseLog.objects.filter(
        session__programme=OuterRef("pk"), session__local_date=today
    )
    return (
        Programme.objects.filter(
            patient_id=Param("patient", UUIDField()), status=Programme.Status.ACTIVE
        )
        .select_related("current_revision", "condition", "diagnosis", "protocol")
        .annotate(
            last_response_on=Subquery(
                QuestionnaireResponse.objects.filter(
                    patient=OuterRef("patient"), questionnaire=OuterRef("condition__questionnaire")
                )
                .order_by("-local_date")
                .values("local_date")[:1]
            ),
            paused=Exists(unresolved_red_flags().filter(patient=OuterRef("patient"))),
            latest_check_in=Subquery(
                CheckIn.objects.filter(patient=OuterRef("patient"), local_date__lte=today)
                .order_by("-local_date")
                .values(row=row_json(CheckIn))[:1]
            ),
            ice_heat_rows=json_rows(
                IceHeatSlot.objects.filter(revision=OuterRef("current_revision")),
                "revision",
                row_json(IceHeatSlot),
            ),
            phase_row=Subquery(
                ProgrammePhase.objects.filter(**current)
                .order_by()
                .values(row=row_json(ProgrammePhase))[:1]
            ),
            item_rows=json_rows(
                items,
                "phase",
                JSONObject(item=row_json(ProgrammeItem), exercise=row_json(Exercise, "exercise")),
            ),
            log_rows=json_rows(
                SessionLog.objects.filter(programme=OuterRef("pk"), local_date=today),
                "programme",
                row_json(SessionLog),
            ),
            entry_rows=json_rows(
                entries,
                "session__programme",
                JSONObject(entry=row_json(ExerciseLog), exercise=row_json(Exercise, "exercise")),
            ),
        )
        .order_by("-started_on", "-created_at")  # the model's ordering, as .first()
    )


# Compiled once per process (rehab.prepared): building this statement cost several times
# what the database takes to answer it (issue 14).
_PROGRAMME = PreparedQuery(_programme_with_facts_query)


def _programme_with_facts(patient: Patient, today: date) -> Programme | None:
    found = _PROGRAMME.fetch(limit=1, patient=patient.pk, today=today)
    return found[0] if found else None


def _exercise_of(row: dict[str, Any], exercises: dict[Any, Exercise], db: str) -> Exercise:
    """One instance per exercise, shared by the items and entries that name it."""
    exercise = exercises.get(row["id"])
    if exercise is None:
        exercise = exercises[row["id"]] = model_from_json(Exercise, row, db)
    return exercise


def _phase_and_items_of(
    programme: Any, exercises: dict[Any, Exercise], db: str
) -> tuple[ProgrammePhase | None, list[ProgrammeItem]]:
    """The current phase and its items in order, each item with its phase and exercise."""
    phase = (
        None
        if programme.phase_row is None
        else model_from_json(ProgrammePhase, programme.phase_row, db)
    )
    items = []
    for row in json_list(programme.item_rows):
        item = model_from_json(ProgrammeItem, row["item"], db)
        item.exercise = _exercise_of(row["exercise"], exercises, db)
        if phase is not None:
            item.phase = phase
        items.append(item)
    items.sort(key=lambda item: item.position)
    return phase, items


def _logs_of(programme: Any, exercises: dict[Any, Exercise], db: str) -> dict[int, SessionLog]:
    """The day's logs by slot, each with its exercise entries (and their exercise) in
    `log.exercises.all()`, as a prefetch would leave them."""
    logs = [model_from_json(SessionLog, row, db) for row in json_list(programme.log_rows)]
    if not logs:
        return {}
    entries: dict[Any, list[ExerciseLog]] = defaultdict(list)
    for row in json_list(programme.entry_rows):
        entry = model_from_json(ExerciseLog, row["entry"], db)
        entry.exercise = _exercise_of(row["exercise"], exercises, db)
        entries[entry.session_id].append(entry)
    for log in logs:
        cached = log.exercises.all()
        cached._result_cache = entries[log.pk]
        cached._prefetch_done = True  # type: ignore[attr-defined]
        log._prefetched_objects_cache = {"exercises": cached}  # type: ignore[attr-defined]
    return {log.slot: log for log in logs}


def _latest_check_in_of(programme: Any) -> CheckIn | None:
    row = programme.latest_check_in
    return None if row is None else model_from_json(CheckIn, row, programme._state.db)


def _ice_heat_slots_of(programme: Any) -> list[IceHeatSlot]:
    rows = programme.ice_heat_rows or []
    slots = [model_from_json(IceHeatSlot, row, programme._state.db) for row in rows]
    return sorted(slots, key=lambda slot: slot.pk)


def swelling_not_ruled_out(latest: CheckIn | None) -> bool:
    """No heat after a check-in that says the area is swollen, or that did not answer (an
    older app): unknown is treated as swollen, as at intake (F1; SEED-002). With no check-in
    yet, the intake's answer (the planner's) stands."""
    return latest is not None and latest.swelling is not False


def swelling_reported_of(days: Iterable[tuple[Any, date]]) -> set[tuple[Any, date]]:
    """The (patient id, day) pairs whose latest check-in on or before that day leaves
    swelling possible (no heat then): two queries per distinct day, not per pair."""
    by_day: dict[date, set[Any]] = defaultdict(set)
    for patient_id, day in days:
        by_day[day].add(patient_id)
    swollen = set()
    for day, patient_ids in by_day.items():
        latest = dict(
            Patient.objects.filter(pk__in=patient_ids)
            .annotate(
                latest=Subquery(
                    CheckIn.objects.filter(patient=OuterRef("pk"), local_date__lte=day)
                    .order_by("-local_date")
                    .values("pk")[:1]
                )
            )
            .values_list("pk", "latest")
        )
        check_ins = CheckIn.objects.in_bulk([pk for pk in latest.values() if pk is not None])
        swollen |= {
            (patient_id, day)
            for patient_id, check_in in latest.items()
            if swelling_not_ruled_out(check_ins.get(check_in) if check_in else None)
        }
    return swollen


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


@dataclass(frozen=True)
class SessionPage:
    """The session logs of the patient's last `days` local days, newest first, and whether
    any older ones exist (the page's "show more")."""

    logs: list[SessionLog]
    days: int
    since: date
    has_older: bool


def sessions_in_last_days(patient: Patient, *, days: int, now: datetime) -> SessionPage:
    since = local_today(patient, now) - timedelta(days=days - 1)
    logs = SessionLog.objects.filter(patient=patient)
    return SessionPage(
        logs=list(
            logs.filter(local_date__gte=since)
            .prefetch_related("exercises__exercise")
            .order_by("-local_date", "-slot")
        ),
        days=days,
        since=since,
        has_older=logs.filter(local_date__lt=since).exists(),
    )


def recent_sessions(patient: Patient, limit: int = 30) -> list[SessionLog]:
    return list(
        SessionLog.objects.filter(patient=patient)
        .prefetch_related("exercises__exercise")
        .order_by("-local_date", "-slot")[:limit]
    )


# --- The morning check-in -----------------------------------------------------------------


# The swelling question of the morning check-in (a yes pauses heat, not ice; SEED-002).
SWELLING_QUESTION = "Is the sore area swollen this morning?"


def check_in_questions(condition_id: Any = None, *, dvt_risk: bool = False) -> list[RedFlag]:
    """The red-flag questions of the morning check-in, in catalogue order, with their
    patient-facing question and advice: those asked of everyone (`check_in`) plus, for a
    patient on a programme, their condition's own flags marked `check_in_for_condition`
    (F14: e.g. a swollen calf for a calf strain), and the DVT questions after a DVT risk."""
    return [
        flag
        for flag, conditions in red_flags_asked()
        if asked_in_check_in(
            slug=flag.slug,
            check_in=flag.check_in,
            check_in_for_condition=flag.check_in_for_condition,
            listed=condition_id in conditions,
            dvt_risk=dvt_risk,
        )
    ]


def check_in_questions_of(patient: Patient) -> list[RedFlag]:
    """The red-flag questions this patient's check-in asks now (their active programme's
    condition and DVT risk): what the web page shows, the API lists and both accept."""
    programme = active_programme(patient)
    if programme is None:
        return check_in_questions()
    return check_in_questions(programme.condition_id, dvt_risk=has_dvt_risk(programme))


def recent_check_ins(patient: Patient, limit: int = 30) -> list[CheckIn]:
    return list(CheckIn.objects.filter(patient=patient).order_by("-local_date")[:limit])


# --- Patient-scoped lists for the API: built from the caller, so another patient's row is
# simply absent (a 404), with the related rows each serializer touches fetched up front. ---


def session_logs_of(patient: Patient) -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(patient=patient).prefetch_related("exercises__exercise")


def check_ins_of(patient: Patient) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient=patient)
