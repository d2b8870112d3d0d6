"""The batched monitoring sweep stores exactly the flags evaluate_patient would, in a fixed
number of queries per chunk."""

from __future__ import annotations

import dataclasses
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.activity.services import ExerciseDone, record_check_in, record_session
from patients.models import Flag, Patient
from patients.monitoring.rules import Morning, SessionDay, evaluate, summarise
from patients.monitoring.services import acknowledge_flag, evaluate_patient, resolve_flag
from patients.monitoring.sweep import (
    chunk_bounds,
    evaluate_active_programmes,
    evaluate_programmes,
    evaluate_range,
)
from patients.prescribing.services import end_programme
from patients.questionnaires.definitions import QUESTIONNAIRES
from patients.questionnaires.services import record_questionnaire
from patients.schedule import local_today
from programmes.models import Programme
from programmes.selectors import catalogue_snapshot, current_phase_items
from tests import factories

pytestmark = pytest.mark.django_db

# 20:00 UTC: already tomorrow in Sydney and Auckland, still today in New York.
NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Course:
    """How one patient gets on: who they are, and what they log (seeded, so repeatable)."""

    condition: str
    time_zone: str
    days: int  # since the programme started
    adherence: float  # chance each session is done
    pain: int  # typical pain, 0–10
    rising: int = 0  # morning pain added per week
    visa_a: bool = False
    steady: bool = False  # the same morning pain every day


COURSES = [
    Course("achilles_midportion", "Europe/London", 20, 0.95, 1, steady=True),  # ready to progress
    Course("achilles_insertional", "America/New_York", 16, 0.25, 3),  # not doing it
    Course("plantar_fasciitis", "Australia/Sydney", 12, 0.8, 6),  # pain above the limit
    Course("ankle_sprain", "Pacific/Auckland", 25, 0.7, 2, rising=2),  # rising week on week
    Course("peroneal_tendinopathy", "Europe/Berlin", 9, 0.6, 4),
    Course("posterior_ankle_impingement", "Asia/Kolkata", 30, 0.9, 3),
    Course("achilles_midportion", "Europe/Dublin", 95, 0.75, 4, visa_a=True),  # not improving
    Course("calf_strain", "America/Los_Angeles", 3, 0.5, 2),
]


def _answers(questionnaire: str, level: float) -> dict[str, object]:
    """Valid answers at `level` (0 worst – 1 best) for every item of the questionnaire."""
    answers: dict[str, object] = {}
    for item in QUESTIONNAIRES[questionnaire].items:
        if item.choices:
            values = sorted(choice.value for choice in item.choices)
            answers[item.key] = values[round(level * (len(values) - 1))]
        else:
            assert item.minimum is not None
            assert item.maximum is not None
            answers[item.key] = item.minimum + round(level * (item.maximum - item.minimum))
    return answers


def _follow(course: Course, patient: Patient, rng: random.Random) -> Any:
    today = local_today(patient, NOW)
    started = today - timedelta(days=course.days)
    programme = factories.prescribe(
        patient,
        factories.answered_intake(course.condition, side="left", cleared=True),
        started,
    )
    items = current_phase_items(programme)
    per_day = max(item.times_per_day or 1 for item in items)
    for offset in range(course.days + 1):
        day = started + timedelta(days=offset)
        for slot in range(1, per_day + 1):
            draw = rng.random()
            if draw < course.adherence:
                record_session(
                    patient=patient,
                    client_uuid=uuid.uuid4(),
                    local_date=day,
                    slot=slot,
                    logged_at=NOW,
                    exercises=[
                        ExerciseDone(
                            item.key,
                            sets_done=item.sets,
                            reps_done=item.reps,
                            pain_during_nrs=_nrs(course.pain + rng.randint(-1, 1)),
                        )
                        for item in items
                    ],
                    pain_after_nrs=_nrs(course.pain + rng.randint(-1, 1)),
                    now=timezone.now(),
                )
            elif draw < course.adherence + 0.1:
                record_session(
                    patient=patient,
                    client_uuid=uuid.uuid4(),
                    local_date=day,
                    slot=slot,
                    logged_at=NOW,
                    exercises=[],
                    skipped=True,
                    skip_reason="Too busy.",
                    now=timezone.now(),
                )
        if rng.random() < 0.85:
            record_check_in(
                patient=patient,
                client_uuid=uuid.uuid4(),
                local_date=day,
                morning_pain_nrs=_nrs(
                    course.pain
                    + course.rising * offset // 7
                    + (0 if course.steady else rng.randint(0, 1))
                ),
                stiffness_minutes=10 + course.rising * offset,
                red_flags=[],
                logged_at=NOW,
                now=timezone.now(),
            )
        if course.visa_a and offset % 7 == 0:
            record_questionnaire(
                patient=patient,
                client_uuid=uuid.uuid4(),
                questionnaire="visa_a",
                local_date=day,
                answers=_answers("visa_a", 0.5 + rng.random() / 20),
                logged_at=NOW,
                now=timezone.now(),
            )
    return programme


def _nrs(value: int) -> int:
    return max(0, min(10, value))


@pytest.fixture
def clinic(therapist: Any) -> list[Patient]:
    """Patients on different conditions, time zones and courses; one reports a red flag
    today, one has ended their programme, one has none."""
    rng = random.Random(6)
    patients = []
    for course in COURSES:
        patient = factories.PatientFactory(therapist=therapist, time_zone=course.time_zone)
        _follow(course, patient, rng)
        patients.append(patient)
    red = factories.PatientFactory(therapist=therapist)
    factories.prescribe(red, started_on=NOW.date() - timedelta(days=5))
    record_check_in(
        patient=red,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        morning_pain_nrs=8,
        stiffness_minutes=30,
        red_flags=["sudden_pop", "numbness_tingling"],
        logged_at=NOW,
        now=timezone.now(),
    )
    ended = factories.PatientFactory(therapist=therapist)
    programme = _follow(Course("achilles_midportion", "Europe/London", 10, 0.2, 7), ended, rng)
    end_programme(programme=programme, by=therapist.user, now=NOW)
    factories.PatientFactory(therapist=therapist)  # diagnosed, nothing prescribed
    # record_check_in evaluates a red-flag answer at once (at the real clock): start each
    # test from no flags, so what is compared is the sweeps' work alone.
    Flag.objects.all().delete()
    return [*patients, red, ended]


FIELDS = (
    "patient_id",
    "programme_id",
    "rule",
    "episode",
    "kind",
    "severity",
    "status",
    "message",
    "evidence",
    "suggestion",
    "sources",
)


def _flags() -> list[tuple[object, ...]]:
    return sorted(
        (tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row))
        for row in Flag.objects.values_list(*FIELDS)
    )


def test_the_batched_sweep_raises_the_same_flags_as_each_patient_evaluated(
    clinic: list[Patient], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as one_by_one:
        for patient in clinic:
            evaluate_patient(patient=patient, now=NOW)
    expected = _flags()
    Flag.objects.all().delete()

    with django_capture_on_commit_callbacks() as batched:
        report = evaluate_active_programmes(now=NOW, chunk_size=3)  # chunks cut across patients

    assert _flags() == expected
    assert report.programmes == len(clinic) - 1  # the ended programme is not evaluated
    assert report.created == len(expected)
    # Every kind of finding is covered, so the comparison means something.
    assert {row[FIELDS.index("kind")] for row in expected} == {
        "red_flag",
        "step_back",
        "not_adhering",
        "ready_to_progress",
        "not_improving",
    }
    urgent = Flag.objects.filter(severity=Flag.Severity.URGENT).count()
    assert urgent == 1  # sudden_pop (same day); numbness is "book an appointment" (F13)
    assert len(batched) == len(one_by_one) == urgent  # each new urgent flag is notified once


def test_a_second_sweep_creates_and_notifies_nothing(
    clinic: list[Patient], django_capture_on_commit_callbacks: Any
) -> None:
    first = evaluate_active_programmes(now=NOW)
    stored = _flags()
    with django_capture_on_commit_callbacks() as callbacks:
        second = evaluate_active_programmes(now=NOW)
    assert first.created == len(stored) > 0
    assert (second.created, second.updated) == (0, 0)
    assert second.findings == first.findings
    assert _flags() == stored
    assert callbacks == []


def _pain_log(patient: Patient, day: date, slot: int, pain: int) -> None:
    programme = patient.programmes.get(status="active")
    item = current_phase_items(programme)[0]
    record_session(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=day,
        slot=slot,
        logged_at=NOW,
        exercises=[ExerciseDone(item.key, pain_during_nrs=pain)],
        now=timezone.now(),
    )


def test_new_evidence_updates_an_open_flag_as_evaluate_patient_does(patient: Patient) -> None:
    factories.prescribe(patient, started_on=NOW.date() - timedelta(days=3))
    today = NOW.date()
    _pain_log(patient, today, 1, 6)
    evaluate_active_programmes(now=NOW)
    _pain_log(patient, today, 2, 8)
    report = evaluate_active_programmes(now=NOW)
    flag = Flag.objects.get(rule="pain_during_above_max")
    assert report.updated == 1
    assert flag.evidence["days"] == {today.isoformat(): 8}
    assert "8/10" in flag.message


def test_acknowledged_and_resolved_flags_are_left_alone(patient: Patient) -> None:
    factories.prescribe(patient, started_on=NOW.date() - timedelta(days=3))
    today = NOW.date()
    _pain_log(patient, today, 1, 6)
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=today,
        morning_pain_nrs=3,
        stiffness_minutes=5,
        red_flags=["sudden_pop"],
        logged_at=NOW,
        now=timezone.now(),
    )
    Flag.objects.all().delete()  # raised at once on the real clock; the sweep raises them now
    evaluate_active_programmes(now=NOW)
    by = patient.therapist.user
    pain = acknowledge_flag(flag=Flag.objects.get(rule="pain_during_above_max"), by=by, now=NOW)
    red = resolve_flag(
        flag=Flag.objects.get(rule="red_flag:sudden_pop"), by=by, note="Seen.", now=NOW
    )
    _pain_log(patient, today, 2, 9)  # new evidence for the acknowledged episode

    report = evaluate_active_programmes(now=NOW)

    assert (report.created, report.updated) == (0, 0)
    pain_now, red_now = Flag.objects.get(pk=pain.pk), Flag.objects.get(pk=red.pk)
    assert (pain_now.status, pain_now.evidence) == ("acknowledged", pain.evidence)
    assert red_now.status == "resolved"
    assert Flag.objects.count() == 2


# Reads: programmes, exercises, items, session days, check-ins, red-flag answers, VISA-A,
# checkpoints, unresolved red flags (F11), stored flags, inserted flags (11); a savepoint pair
# (2); the flag insert, which SQLite splits into batches of 999 // (flag fields) rows
# (Django's 999-parameter cap; the escalation stamp made the row one field wider): up to 5 for
# 50 patients, one on PostgreSQL; and one update statement; the audit trail adds a savepoint
# pair around the insert and its entries, one per new flag (SQLite batches them by 71 rows: up
# to 2 for 50 patients). The same bound must hold for 1 and for 50 patients.
QUERY_BOUND = 23


@pytest.mark.parametrize("patients", [1, 50])
def test_a_chunk_is_evaluated_in_a_fixed_number_of_queries(
    therapist: Any, patients: int, django_assert_max_num_queries: Any
) -> None:
    today = NOW.date()
    ids = []
    for n in range(patients):
        patient = factories.PatientFactory(therapist=therapist)
        programme = factories.prescribe(patient, started_on=today - timedelta(days=10 + n % 5))
        _pain_log(patient, today, 1, 7)
        record_check_in(
            patient=patient,
            client_uuid=uuid.uuid4(),
            local_date=today,
            morning_pain_nrs=4,
            stiffness_minutes=15,
            red_flags=["numbness_tingling"] if n % 2 else [],
            logged_at=NOW,
            now=timezone.now(),
        )
        ids.append(programme.pk)
    Flag.objects.all().delete()  # those the red-flag check-ins raised at once
    catalogue_snapshot()  # built once per process, not per sweep

    with django_assert_max_num_queries(QUERY_BOUND):
        report = evaluate_programmes(programme_ids=ids, now=NOW)

    assert report.programmes == patients
    assert report.created >= 2 * patients  # pain above the limit and not doing it, at least


def test_evaluate_patient_is_the_sweep_with_a_chunk_of_one(
    patient: Patient, django_assert_max_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requirement 10: one pipeline. A single patient goes through the batched code, so a rule
    fixed there is fixed for both, and within the same query budget (+1: the programme id)."""
    from patients.monitoring import services, sweep

    programme = factories.prescribe(patient, started_on=NOW.date() - timedelta(days=3))
    _pain_log(patient, NOW.date(), 1, 8)
    chunks: list[list[uuid.UUID]] = []

    def spy(*, programme_ids: Any, now: datetime, late_mornings: Any = None) -> sweep.Chunk:
        chunks.append(list(programme_ids))
        return sweep.evaluate_chunk(
            programme_ids=programme_ids, now=now, late_mornings=late_mornings
        )

    monkeypatch.setattr(services, "evaluate_chunk", spy)
    catalogue_snapshot()
    with django_assert_max_num_queries(QUERY_BOUND + 1):
        flags = evaluate_patient(patient=patient, now=NOW)

    assert chunks == [[programme.pk]]
    assert "pain_during_above_max" in {flag.rule for flag in flags}
    assert all(flag.pk for flag in flags)


@pytest.mark.parametrize(
    ("status", "unresolved"),
    [(None, False), ("open", True), ("acknowledged", True), ("resolved", False)],
)
def test_the_state_knows_of_an_unresolved_red_flag(
    patient: Patient, status: str | None, unresolved: bool
) -> None:
    """F11: the pipeline passes an unresolved red-flag Flag (even one older than the rules'
    window) into the pure state, so no progression is offered meanwhile."""
    from patients.monitoring.sweep import states_for

    programme = factories.prescribe(patient, started_on=NOW.date() - timedelta(days=40))
    if status is not None:
        Flag.objects.create(
            patient=patient,
            programme=programme,
            rule="red_flag:numbness_tingling",
            episode=(NOW.date() - timedelta(days=30)).isoformat(),
            kind="red_flag",
            severity=Flag.Severity.REVIEW,
            status=status,
            message="Numbness.",
        )
    state = states_for(programme_ids=[programme.pk], now=NOW)[programme.pk]
    assert state.unresolved_red_flag is unresolved


def test_the_state_reads_the_first_visa_a_however_old(patient: Patient) -> None:
    """F26: the 24-week review (day 168) compares with a score older than the 120 days of
    check-ins and sessions the rules read."""
    from patients.monitoring.sweep import states_for

    started = NOW.date() - timedelta(days=170)
    programme = factories.prescribe(patient, started_on=started)
    for day in (started, NOW.date()):
        record_questionnaire(
            patient=patient,
            client_uuid=uuid.uuid4(),
            questionnaire="visa_a",
            local_date=day,
            answers=_answers("visa_a", 0.5),
            logged_at=NOW,
            now=timezone.now(),
        )
    state = states_for(programme_ids=[programme.pk], now=NOW)[programme.pk]
    assert [score.date for score in state.visa_a] == [started, NOW.date()]


@pytest.mark.parametrize("onset", [date(2026, 3, 1), None])
def test_the_state_carries_the_onset_and_whether_the_phase_loads(
    patient: Patient, onset: date | None
) -> None:
    """F20: symptom duration counts from the diagnosis's onset date; F19: the day-7 stretching
    review is judged only when the current phase does no loading."""
    from patients.monitoring.sweep import states_for

    started = NOW.date() - timedelta(days=10)
    intake = factories.answered_intake(
        side="left",
        onset_date=onset,
        assessed_on=started if onset else None,
    )
    programme = factories.prescribe(patient, intake, started)
    state = states_for(programme_ids=[programme.pk], now=NOW)[programme.pk]
    assert state.onset_on == onset
    assert state.loading is True  # Silbernagel phase 1 loads the calf


def test_the_sweeps_chunks_cover_every_active_programme_once(therapist: Any) -> None:
    """What the hourly task hands to workers: chunk bounds that cover each active programme
    exactly once (ended ones not at all), whatever the chunk size."""
    active = []
    for n in range(5):
        patient = factories.PatientFactory(therapist=therapist)
        programme = factories.prescribe(patient, started_on=NOW.date() - timedelta(days=5))
        if n == 2:
            end_programme(programme=programme, by=therapist.user, now=NOW)
        else:
            active.append(programme.pk)

    for size in (1, 2, 3, 10):
        bounds = list(chunk_bounds(chunk_size=size))
        assert len(bounds) == -(-len(active) // size)  # ceil
        covered = [pk for first, last in bounds for pk in sorted(active) if first <= pk <= last]
        assert covered == sorted(active), size  # each once, in order, none missing

    reports = [
        evaluate_range(first=first, last=last, now=NOW)
        for first, last in chunk_bounds(chunk_size=2)
    ]
    assert sum(r.programmes for r in reports) == len(active)


def _full_state(programme: Any, state: Any) -> Any:
    """The programme's state with every session day and morning of the window, read
    naively through the ORM: what the sweep would build without summarising."""
    from patients.models import CheckIn, SessionLog

    today = state.today
    since = max(programme.started_on - timedelta(days=7), today - timedelta(days=120))
    days: dict[date, list[Any]] = {}
    for log in SessionLog.objects.filter(programme=programme, local_date__gte=since):
        days.setdefault(log.local_date, []).append(log)
    session_days = []
    for day, logs in sorted(days.items()):
        during = [
            entry.pain_during_nrs
            for log in logs
            for entry in log.exercises.all()
            if entry.pain_during_nrs is not None
        ]
        after = [log.pain_after_nrs for log in logs if log.pain_after_nrs is not None]
        session_days.append(
            SessionDay(
                day,
                sum(log.status == SessionLog.Status.DONE for log in logs),
                max(during) if during and day >= today - timedelta(days=6) else None,
                max(after) if after else None,
            )
        )
    mornings = tuple(
        Morning(c.local_date, c.morning_pain_nrs, c.stiffness_minutes, tuple(c.red_flags))
        for c in CheckIn.objects.filter(patient=programme.patient, local_date__gte=since).order_by(
            "local_date"
        )
    )
    return dataclasses.replace(state, days=tuple(session_days), mornings=mornings, earlier=None)


def test_the_state_is_the_full_history_summarised(clinic: list[Patient]) -> None:
    """What the sweep reads (the last two weeks row by row, the rest folded into
    `rules.Earlier` as it reads) is exactly `rules.summarise` of every row read naively —
    here for courses of 3 to 95 days, and one of 150 days (longer than the 120 read: no
    first week, so the rest-day baseline) with a red flag among the earlier mornings."""
    from patients.models import CheckIn
    from patients.monitoring.sweep import states_for

    rng = random.Random(14)
    long = factories.PatientFactory(therapist=clinic[0].therapist, time_zone="Europe/London")
    _follow(Course("plantar_fasciitis", "Europe/London", 150, 0.5, 5, rising=1), long, rng)
    # The first morning read (the first since the start, so carried) had a red-flag answer.
    window = local_today(long, NOW) - timedelta(days=120)
    first = long.check_ins.filter(local_date__gte=window).order_by("local_date").first()
    assert first is not None
    CheckIn.objects.filter(pk=first.pk).update(red_flags=["numbness_tingling"])
    programmes = list(Programme.objects.filter(status="active").select_related("patient"))
    states = states_for(programme_ids=[p.pk for p in programmes], now=NOW)
    assert len(states) == len(programmes) >= 9
    summarised = 0
    for programme in programmes:
        state = states[programme.pk]
        full = _full_state(programme, state)
        # The pain during exercise is read from the chunk's earliest "today" − 6 days (time
        # zones differ by a day): older values are the rules' concern of no rule.
        week = state.today - timedelta(days=6)
        read = dataclasses.replace(
            state,
            days=tuple(
                d if d.date >= week else dataclasses.replace(d, max_pain_during=None)
                for d in state.days
            ),
        )
        assert read == summarise(full), programme.patient.time_zone
        assert evaluate(state) == evaluate(full)
        summarised += len(state.mornings) < len(full.mornings)
    assert summarised >= 4  # the courses of 25, 30, 95 and 150 days
    carried = states[long.programmes.get().pk]
    assert carried.mornings[0].red_flags == ("numbness_tingling",)
    rest = carried.earlier
    assert rest is not None
    assert rest.rest_mornings > 0
    assert rest.sessions_done > 0


class _Rollback(Exception):
    pass


_SESSION = st.tuples(
    st.sampled_from(["done", "done", "skipped"]),
    st.one_of(st.none(), st.integers(0, 10)),  # pain after
    st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=2),  # pain during, per entry
)
_MORNING = st.one_of(
    st.none(), st.tuples(st.integers(0, 10), st.sampled_from([0, 5, 30]), st.booleans())
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    started_ago=st.integers(0, 160),
    time_zone=st.sampled_from(["Europe/London", "Pacific/Auckland", "America/Los_Angeles"]),
    # Day by day back from the patient's today (the sessions and the morning of each day),
    # older than the 120 days read included.
    history=st.integers(0, 130).flatmap(
        lambda days: st.lists(
            st.tuples(st.lists(_SESSION, max_size=3), _MORNING), min_size=days, max_size=days
        )
    ),
)
def test_the_database_summary_is_rules_summarise_of_the_same_rows(
    patient: Patient,
    started_ago: int,
    time_zone: str,
    history: list[
        tuple[list[tuple[str, int | None, list[int | None]]], tuple[int, int, bool] | None]
    ],
) -> None:
    """The database folds the history before the last two weeks (`_SESSION_DAYS_SQL`,
    `_MORNINGS_SQL`: sessions done since the start, the rest-day mornings, the first, last,
    worst and first-week mornings) exactly as `rules.summarise` folds every row read
    naively, whatever the history: gaps, several sessions a day, skipped ones, rows before
    the window and before the start, ties for the worst morning, any time zone."""
    from patients.models import CheckIn, ExerciseLog, SessionLog
    from patients.monitoring.sweep import states_for
    from programmes.models import Exercise

    try:
        with transaction.atomic():
            Patient.objects.filter(pk=patient.pk).update(time_zone=time_zone)
            patient.refresh_from_db()
            today = local_today(patient, NOW)
            programme = factories.prescribe(patient, started_on=today - timedelta(started_ago))
            exercise = Exercise.objects.first()
            logs, entries = [], []
            for back, (slots, _) in enumerate(history):
                for slot, (status, after, during) in enumerate(slots, start=1):
                    log = SessionLog(
                        patient=patient,
                        programme=programme,
                        client_uuid=uuid.uuid4(),
                        local_date=today - timedelta(back),
                        slot=slot,
                        status=status,
                        pain_after_nrs=after,
                        logged_at=NOW,
                    )
                    logs.append(log)
                    entries += [
                        ExerciseLog(
                            session=log, item_key=uuid.uuid4(), exercise=exercise, pain_during_nrs=p
                        )
                        for p in during
                    ]
            SessionLog.objects.bulk_create(logs)
            ExerciseLog.objects.bulk_create(entries)
            CheckIn.objects.bulk_create(
                CheckIn(
                    patient=patient,
                    client_uuid=uuid.uuid4(),
                    local_date=today - timedelta(back),
                    morning_pain_nrs=pain,
                    stiffness_minutes=stiffness,
                    red_flags=["numbness_tingling"] if red else [],
                    logged_at=NOW,
                )
                for back, (_, morning) in enumerate(history)
                if morning is not None
                for pain, stiffness, red in [morning]
            )

            state = states_for(programme_ids=[programme.pk], now=NOW)[programme.pk]
            full = _full_state(programme, state)

            assert state == summarise(full)
            assert evaluate(state) == evaluate(full)
            raise _Rollback
    except _Rollback:
        pass


def _planner_settings() -> tuple[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('enable_seqscan')")
        jit, seqscan = cursor.fetchone()
    return jit, seqscan


def test_a_chunk_reads_by_key_and_leaves_the_callers_planner_as_it_was(
    patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep plans each chunk's reads without JIT and without whole-table scans (at
    100,000 patients the flags were scanned whole for every chunk), and puts both settings
    back: a red-flag check-in evaluated inside its own transaction goes on planning as before."""
    from django.db import connection

    from patients.monitoring import sweep

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL planner settings")
    factories.prescribe(patient, started_on=NOW.date() - timedelta(days=3))
    during: list[tuple[str, str]] = []
    read = sweep._read

    def spy(*args: Any, **kwargs: Any) -> Any:
        during.append(_planner_settings())
        return read(*args, **kwargs)

    monkeypatch.setattr(sweep, "_read", spy)
    with transaction.atomic():
        before = _planner_settings()
        evaluate_patient(patient=patient, now=NOW)
        after = _planner_settings()
    assert during == [("off", "off")]
    assert after == before == (before[0], "on")
