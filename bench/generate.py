"""A realistic clinic for the benchmarks, generated deterministically with bulk inserts.

    python -m bench.generate --patients 10000 [--database URL] [--today YYYY-MM-DD] [--seed 6]

What it writes (mirroring what the services write, row for row):
- one therapist per 100 patients;
- patients spread over the home conditions the planner prescribes for (weighted by how often
  a clinic sees them), each with a diagnosis (the intake as entered) and a programme as
  `prescribe_programme` stores it: revision 1 with its phases, items, ice/heat slots and dated
  checkpoints. The pure planner runs once per distinct intake and the plan is reused;
- the clinic's last 12 weeks: programmes started 1 to 12 weeks before `today`, so a patient
  has 1 to 12 weeks of session logs (each with an entry per exercise, the prescribed dose
  beside what was done), daily morning check-ins (a few with red flags) and a weekly
  questionnaire (VISA-A, LEFS or FAAM, scored by the real scorer). Patients differ in
  adherence (10–95 %) and in how their pain goes (better, flat, worse);
- times are each patient's local times in their own time zone.

Deterministic: patient n is drawn from its own seeded generator, so the same seed, `today`
and N give the same rows, and running again with a larger N adds patients N.. only (the data
set for 100,000 patients extends the one for 10,000). Rows are inserted with bulk_create in
batches of patients, one transaction per batch.
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    DEFAULT_SQLITE,
    default_today,
    emit,
    peak_rss_mb,
    setup_django,
    stopwatch,
)

PATIENTS_PER_THERAPIST = 100
BATCH = 200  # patients per transaction
WEEKS = 12
PASSWORD = "bench-password-2026"

# How often a clinic sees each condition (weights; only those the planner prescribes for are
# kept). After-clearance conditions are generated as cleared by the clinician.
CONDITION_WEIGHTS = {
    "achilles_midportion": 22,
    "plantar_fasciitis": 20,
    "ankle_sprain": 14,
    "achilles_insertional": 10,
    "calf_strain": 5,
    "retrocalcaneal_bursitis": 4,
    "posterior_ankle_impingement": 4,
    "peroneal_tendinopathy": 4,
    "posterior_tibial_tendinopathy": 4,
    "haglunds": 3,
    "severs_disease": 3,
    "ankle_oa": 5,
    "retro_achilles_bursitis": 2,
}
ZONES = {
    "Europe/London": 70,
    "Europe/Dublin": 10,
    "Europe/Paris": 8,
    "America/New_York": 5,
    "Australia/Sydney": 4,
    "Asia/Kolkata": 3,
}
ADHERENCE = {0.93: 40, 0.78: 35, 0.45: 20, 0.1: 5}
PAIN_TREND = {-0.45: 60, 0.0: 30, 0.3: 10}  # NRS points per week
SESSION_TIMES = {1: ["08:00"], 2: ["08:00", "18:00"], 3: ["08:00", "13:00", "19:00"]}
RED_FLAG_CHANCE = 0.0005  # per check-in


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def draw_intake(rng: random.Random, catalogue: Any, condition: str) -> Any:
    """One clinician's intake for `condition`, drawn from a clinic's usual mix."""
    from programmes.planner import Intake

    spec = catalogue.conditions[condition]
    low, high = spec.age_min or 18, spec.age_max or 80
    age = rng.randint(low, high)
    if high - low > 10:
        age = low + (age - low) // 5 * 5  # age bands keep distinct intakes few
    protocol = None
    if condition == "achilles_midportion" and rng.random() < 0.3:
        protocol = rng.choice(["achilles_midportion_alfredson", "achilles_midportion_hsr"])
    return Intake(
        condition=condition,
        side=_pick(rng, {"left": 45, "right": 45, "both": 10}),
        onset=_pick(rng, {"chronic": 60, "acute": 30, None: 10}),
        irritability=_pick(rng, {"low": 35, "moderate": 45, "high": 15, None: 5}),
        activity=_pick(rng, {"general": 50, "runner": 30, "jumping_sport": 12, "dancer": 8}),
        age=age,
        swelling="yes" if rng.random() < 0.15 and "swelling" not in spec.refer_if else "no",
        recent_injury="no",
        ottawa="negative",
        thompson="negative",
        cauda_equina="no",
        circulation_or_sensation_problems=rng.random() < 0.03,
        cleared=spec.home_status == "after_clearance",
        protocol=protocol,
    )


@dataclass
class Rows:
    """One batch of rows, in insert order."""

    users: list[Any] = field(default_factory=list)
    patients: list[Any] = field(default_factory=list)
    diagnoses: list[Any] = field(default_factory=list)
    programmes: list[Any] = field(default_factory=list)
    revisions: list[Any] = field(default_factory=list)
    phases: list[Any] = field(default_factory=list)
    items: list[tuple[Any, Any]] = field(default_factory=list)  # (phase row, item row)
    slots: list[Any] = field(default_factory=list)
    checkpoints: list[Any] = field(default_factory=list)
    # The log tables, as tuples in the column order of _columns() (see copy_rows).
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    exercises: list[tuple[Any, ...]] = field(default_factory=list)
    check_ins: list[tuple[Any, ...]] = field(default_factory=list)
    questionnaires: list[tuple[Any, ...]] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(v) for v in vars(self).values())


class Clinic:
    """Builds patients n.. from the catalogue; `add(range)` inserts one batch."""

    def __init__(self, *, seed: int, today: date) -> None:
        from django.contrib.auth.hashers import make_password

        from programmes.models import Condition, Exercise, Protocol, Timeframe
        from programmes.planner import ProgrammePlan, plan
        from programmes.selectors import catalogue_snapshot

        self.seed, self.today = seed, today
        self.catalogue = catalogue_snapshot()
        self.plan, self.ProgrammePlan = plan, ProgrammePlan
        self.plans: dict[Any, Any] = {}
        self.password = make_password(PASSWORD)  # hashed once, shared by every bench user
        self.condition_ids = dict(Condition.objects.values_list("slug", "pk"))
        self.protocol_ids = dict(Protocol.objects.values_list("slug", "pk"))
        self.exercise_ids = dict(Exercise.objects.values_list("slug", "pk"))
        self.timeframe_ids = dict(Timeframe.objects.values_list("slug", "pk"))
        self.conditions = {
            slug: weight
            for slug, weight in CONDITION_WEIGHTS.items()
            if isinstance(
                self._plan(draw_intake(random.Random(0), self.catalogue, slug)), ProgrammePlan
            )
        }
        self.answer_cache: dict[
            tuple[str, int], tuple[dict[str, object], float | None, dict[str, Any]]
        ]
        self.answer_cache = {}
        self.zones = {name: ZoneInfo(name) for name in ZONES}
        self.questionnaires = dict(Condition.objects.values_list("slug", "questionnaire"))
        self.stamp = datetime.combine(today, time(12, 0), tzinfo=UTC)  # created/updated_at

    # --- intakes and plans ---------------------------------------------------------------

    def _plan(self, intake: Any) -> Any:
        if intake not in self.plans:
            self.plans[intake] = self.plan(intake, self.catalogue)
        return self.plans[intake]

    # --- one batch -------------------------------------------------------------------------

    def add(self, numbers: Iterable[int], therapist_users: dict[int, Any]) -> Rows:
        rows = Rows()
        for n in numbers:
            self._patient(n, therapist_users[n // PATIENTS_PER_THERAPIST], rows)
        return rows

    def _patient(self, n: int, therapist: Any, rows: Rows) -> None:
        from django.contrib.auth import get_user_model

        from patients.models import Diagnosis, Patient
        from programmes.models import Programme, ProgrammeRevision
        from programmes.planner import intake_to_dict

        rng = random.Random(f"{self.seed}:{n}")
        condition = _pick(rng, self.conditions)
        intake = draw_intake(rng, self.catalogue, condition)
        while not isinstance(self._plan(intake), self.ProgrammePlan):
            intake = draw_intake(rng, self.catalogue, condition)
        plan = self._plan(intake)
        started = self.today - timedelta(days=rng.randint(7, WEEKS * 7))
        zone = _pick(rng, ZONES)
        per_day = max((i.dose.times_per_day or 1 for i in plan.phases[0].items), default=1)

        user = get_user_model()(
            username=f"bench-p{n:06d}",
            first_name=f"Patient{n}",
            last_name=f"Bench{n % 997}",
            email=f"bench-p{n:06d}@example.org",
            password=self.password,
        )
        rows.users.append(user)
        patient = Patient(
            id=_uuid(rng),
            user=user,
            therapist_id=therapist.pk,
            time_zone=zone,
            date_of_birth=date(self.today.year - (intake.age or 40), 1 + n % 12, 1 + n % 28),
            session_times=SESSION_TIMES[min(per_day, 3)],
        )
        rows.patients.append(patient)
        diagnosis = Diagnosis(
            id=_uuid(rng),
            patient=patient,
            therapist_id=therapist.pk,
            condition_id=self.condition_ids[condition],
            side=intake.side,
            intake=intake_to_dict(intake),
            made_on=started,
        )
        rows.diagnoses.append(diagnosis)
        revision_id = _uuid(rng)
        programme = Programme(
            id=_uuid(rng),
            patient=patient,
            diagnosis=diagnosis,
            condition_id=self.condition_ids[condition],
            protocol_id=self.protocol_ids[plan.protocol],
            side=plan.side or intake.side,
            started_on=started,
            prescribed_by_id=therapist.user_id,
            current_revision_id=revision_id,  # inserted below; the FK is checked at commit
        )
        rows.programmes.append(programme)
        protocol_name = self.catalogue.protocols[plan.protocol].name
        revision = ProgrammeRevision(
            id=revision_id,
            programme=programme,
            number=1,
            kind=ProgrammeRevision.Kind.PRESCRIBED,
            reason="Initial prescription.",
            summary=f"Prescribed {protocol_name}.",
            changed_by_id=therapist.user_id,
            current_phase=1,
            warnings=[
                {"code": w.code, "message": w.message, "sources": list(w.sources)}
                for w in plan.warnings
            ],
        )
        rows.revisions.append(revision)
        first_items = self._body(rng, plan, revision, programme, rows)
        self._history(rng, patient, programme, first_items, started, zone, condition, rows)

    def _body(
        self, rng: random.Random, plan: Any, revision: Any, programme: Any, rows: Rows
    ) -> list[Any]:
        """Phases, items, ice/heat slots and checkpoints, as prescribe_programme writes them;
        returns the first phase's items."""
        from programmes.models import (
            Checkpoint,
            Dose,
            IceHeatSlot,
            ProgrammeItem,
            ProgrammePhase,
        )

        first: list[Any] = []
        for p in plan.phases:
            phase = ProgrammePhase(
                revision=revision,
                position=p.position,
                name=p.name,
                start_week=p.start_week,
                end_week=p.end_week,
                goals=list(p.goals),
                progression_criteria=list(p.progression_criteria),
                advice=list(p.advice),
                sources=list(p.sources),
            )
            rows.phases.append(phase)
            for position, i in enumerate(p.items, start=1):
                item = ProgrammeItem(
                    key=_uuid(rng),
                    position=position,
                    exercise_id=self.exercise_ids[i.exercise],
                    sources=list(i.sources),
                    **{name: getattr(i.dose, name) for name in Dose.DOSE_FIELDS},
                )
                rows.items.append((phase, item))
                if p.position == 1:
                    first.append(item)
        rows.slots += [
            IceHeatSlot(
                revision=revision,
                modality=s.modality,
                max_minutes=s.max_minutes,
                min_gap_hours=s.min_gap_hours,
                times=list(s.times),
                from_day=s.from_day,
                to_day=s.to_day,
                safety_rules=list(s.safety_rules),
                sources=list(s.sources),
            )
            for s in plan.ice_heat
        ]
        rows.checkpoints += [
            Checkpoint(
                programme=programme,
                timeframe_id=self.timeframe_ids[c.timeframe],
                after_days=c.after_days,
                due_on=programme.started_on + timedelta(days=c.after_days),
                rule=c.rule,
                action=c.action,
                sources=list(c.sources),
            )
            for c in plan.checkpoints
        ]
        return first

    def _history(
        self,
        rng: random.Random,
        patient: Any,
        programme: Any,
        items: Sequence[Any],
        started: date,
        zone_name: str,
        condition: str,
        rows: Rows,
    ) -> None:
        """Session logs, check-ins and questionnaires from the start to today (local), as
        tuples in the column order of LOG_COLUMNS."""
        from patients.schedule import training_weekdays

        zone = self.zones[zone_name]
        adherence = _pick(rng, ADHERENCE)
        trend = _pick(rng, PAIN_TREND)
        pain0 = rng.uniform(2.5, 6.5)
        times = [time.fromisoformat(t) for t in patient.session_times]
        questionnaire = self.questionnaires[condition]
        weekdays = [training_weekdays(i.days_per_week or 7) for i in items]
        red_flags = [s for s, f in self.catalogue.red_flags.items() if f.check_in]
        stamp = self.stamp
        patient_id, programme_id = patient.pk, programme.pk
        for offset in range((self.today - started).days + 1):
            day = started + timedelta(days=offset)
            pain = pain0 + trend * offset / 7
            due = [i for i, w in zip(items, weekdays, strict=True) if day.weekday() in w]
            slots = max((i.times_per_day or 1 for i in due), default=0)
            if day == self.today:
                slots = min(slots, 1)  # the morning session only, so far
            for slot in range(1, slots + 1):
                logged = _local(day, times[min(slot, len(times)) - 1], zone) + timedelta(
                    minutes=rng.randint(0, 90)
                )
                draw = rng.random()
                if draw < adherence:
                    session_id = _uuid(rng)
                    after = _nrs(pain + rng.uniform(-1.5, 1.5)) if rng.random() < 0.8 else None
                    session: tuple[Any, ...] = (
                        session_id, stamp, stamp, patient_id, programme_id, _uuid(rng), day,
                        slot, "done", "", after, logged, {})  # fmt: skip
                    entries: list[tuple[Any, ...]] = []
                    for i in due:
                        if (i.times_per_day or 1) < slot:
                            continue
                        sets = i.sets if rng.random() < 0.85 else max(1, (i.sets or 2) - 1)
                        during = _nrs(pain + rng.uniform(-2, 1.5)) if rng.random() < 0.7 else None
                        entries.append(
                            (session_id, i.key, i.exercise_id, i.sets, i.reps, i.hold_s, sets,
                             i.reps, i.hold_s, i.load, during)
                        )  # fmt: skip
                    rows.sessions.append(session)
                    rows.exercises += entries
                elif draw < adherence + (1 - adherence) * 0.15:
                    reason = rng.choice(["Too busy.", "Too sore.", "Away."])
                    rows.sessions.append(
                        (_uuid(rng), stamp, stamp, patient_id, programme_id, _uuid(rng), day,
                         slot, "skipped", reason, None, logged, {})
                    )  # fmt: skip
            if rng.random() < min(0.95, adherence + 0.1):
                morning = _nrs(pain + rng.uniform(-1, 1))
                flags = [rng.choice(red_flags)] if rng.random() < RED_FLAG_CHANCE else []
                rows.check_ins.append(
                    (_uuid(rng), stamp, stamp, patient_id, _uuid(rng), day, morning,
                     max(0, morning * 6 + rng.randint(-5, 10)), flags,
                     _local(day, time(7, 30), zone), {})
                )  # fmt: skip
            if offset % 7 == 0 and rng.random() < 0.85:
                answers, total, subscales = self._answers(questionnaire, round(10 - pain))
                rows.questionnaires.append(
                    (_uuid(rng), stamp, stamp, patient_id, _uuid(rng), questionnaire, day,
                     answers, total, subscales, _local(day, time(19, 0), zone))
                )  # fmt: skip

    def _answers(
        self, slug: str, level: int
    ) -> tuple[dict[str, object], float | None, dict[str, Any]]:
        """Valid answers at `level` (0 worst – 10 best), scored by the real scorer once."""
        from patients.questionnaires.definitions import QUESTIONNAIRES, score

        level = max(0, min(10, level))
        key = (slug, level)
        if key not in self.answer_cache:
            answers: dict[str, object] = {}
            for item in QUESTIONNAIRES[slug].items:
                if item.choices:
                    values = sorted(c.value for c in item.choices)
                    answers[item.key] = values[round(level / 10 * (len(values) - 1))]
                else:
                    assert item.minimum is not None
                    assert item.maximum is not None
                    answers[item.key] = item.minimum + round(
                        level / 10 * (item.maximum - item.minimum)
                    )
            result = score(slug, answers)
            self.answer_cache[key] = (answers, result.total, dict(result.subscales))
        return self.answer_cache[key]


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _nrs(value: float) -> int:
    return max(0, min(10, round(value)))


def insert(rows: Rows) -> None:
    """Insert one batch in dependency order (programme ↔ revision FKs are checked at commit).

    Synthetic history is not clinic activity: it is written without audit entries (the four
    log tables go in by COPY, which no ORM hook sees, anyway)."""
    from auditlog.context import disable_auditlog

    with disable_auditlog():
        _insert(rows)


def _insert(rows: Rows) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from patients.models import Diagnosis, Patient
    from programmes.models import (
        Checkpoint,
        IceHeatSlot,
        Programme,
        ProgrammeItem,
        ProgrammePhase,
        ProgrammeRevision,
    )

    size = None if connection.vendor == "sqlite" else 2000  # SQLite caps batches itself
    get_user_model().objects.bulk_create(rows.users, batch_size=size)
    for patient in rows.patients:
        patient.user_id = patient.user.pk
    Patient.objects.bulk_create(rows.patients, batch_size=size)
    Diagnosis.objects.bulk_create(rows.diagnoses, batch_size=size)
    Programme.objects.bulk_create(rows.programmes, batch_size=size)
    ProgrammeRevision.objects.bulk_create(rows.revisions, batch_size=size)
    ProgrammePhase.objects.bulk_create(rows.phases, batch_size=size)  # ids come back
    items = []
    for phase, item in rows.items:
        item.phase_id = phase.pk
        items.append(item)
    ProgrammeItem.objects.bulk_create(items, batch_size=size)
    IceHeatSlot.objects.bulk_create(rows.slots, batch_size=size)
    Checkpoint.objects.bulk_create(rows.checkpoints, batch_size=size)
    for table, values in (
        ("sessions", rows.sessions),
        ("exercises", rows.exercises),
        ("check_ins", rows.check_ins),
        ("questionnaires", rows.questionnaires),
    ):
        copy_rows(table, values)


def _columns() -> dict[str, tuple[Any, tuple[str, ...]]]:
    from patients.models import CheckIn, ExerciseLog, QuestionnaireResponse, SessionLog

    public = ("id", "created_at", "updated_at", "patient")
    return {
        "sessions": (
            SessionLog,
            (*public, "programme", "client_uuid", "local_date", "slot", "status", "skip_reason",
             "pain_after_nrs", "logged_at", "applied"),
        ),
        "exercises": (
            ExerciseLog,
            ("session", "item_key", "exercise", "target_sets", "target_reps", "target_hold_s",
             "sets_done", "reps_done", "hold_s_done", "load", "pain_during_nrs"),
        ),
        "check_ins": (
            CheckIn,
            (*public, "client_uuid", "local_date", "morning_pain_nrs", "stiffness_minutes",
             "red_flags", "logged_at", "applied"),
        ),
        "questionnaires": (
            QuestionnaireResponse,
            (*public, "client_uuid", "questionnaire", "local_date", "answers", "score",
             "subscales", "logged_at"),
        ),
    }  # fmt: skip


def copy_rows(table: str, values: list[tuple[Any, ...]]) -> None:
    """The bulk path for the four log tables (nine rows in ten): COPY on PostgreSQL, one
    executemany on SQLite, values adapted per column type as Django would store them.

    bulk_create spends four fifths of its time compiling SQL and preparing values one by one
    (profiled: 11,000 rows/s on SQLite); this path writes the same rows several times faster.
    """
    from django.db import connection

    if not values:
        return
    model, names = _columns()[table]
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    target = connection.ops.quote_name(model._meta.db_table)
    adapters = [_adapter(f, connection) for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row([a(v) if a else v for a, v in zip(adapters, row, strict=True)])
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {target} ({columns}) VALUES ({marks})",
                [
                    tuple(
                        a(v) if a and v is not None else v
                        for a, v in zip(adapters, row, strict=True)
                    )
                    for row in values
                ],
            )


def _adapter(field: Any, connection: Any) -> Any:
    """A fast value adapter for one column, or None where the driver takes the value as is."""
    from django.db import models

    internal = field.get_internal_type()
    if internal == "JSONField":
        return lambda v: connection.ops.adapt_json_value(v, field.encoder)
    if connection.vendor == "postgresql":
        return None  # psycopg adapts UUID, date, aware datetime natively
    if internal == "UUIDField" or (
        isinstance(field, models.ForeignKey)
        and field.target_field.get_internal_type() == "UUIDField"
    ):
        return lambda v: v.hex
    if internal == "DateTimeField":
        return lambda v: str(v.astimezone(UTC).replace(tzinfo=None))
    if internal == "DateField":
        return lambda v: v.isoformat()
    return None


def therapists(upto: int) -> dict[int, Any]:
    """Therapists 0..upto-1 (bench-t0000…), created if missing."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from patients.models import Therapist

    User = get_user_model()
    existing = {
        t.user.username: t
        for t in Therapist.objects.filter(user__username__startswith="bench-t").select_related(
            "user"
        )
    }
    password = make_password(PASSWORD)
    missing = [n for n in range(upto) if f"bench-t{n:04d}" not in existing]
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench-t{n:04d}",
                first_name=f"Therapist{n}",
                last_name="Bench",
                email=f"bench-t{n:04d}@example.org",
                password=password,
            )
            for n in missing
        ]
    )
    created = Therapist.objects.bulk_create(
        [
            Therapist(id=uuid.UUID(int=n + 1, version=4), user=u)
            for n, u in zip(missing, users, strict=True)
        ]
    )
    for therapist in created:
        existing[therapist.user.username] = therapist
    return {n: existing[f"bench-t{n:04d}"] for n in range(upto)}


def generate(*, patients: int, today: date, seed: int) -> dict[str, Any]:
    """Bring the bench data up to `patients` patients; returns counts and timings."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from patients.models import CheckIn, ExerciseLog, QuestionnaireResponse, SessionLog
    from programmes.services import load_catalogue

    with stopwatch() as setup_time:
        call_command("migrate", verbosity=0, interactive=False)
        load_catalogue()
    have = get_user_model().objects.filter(username__startswith="bench-p").count()
    therapist_users = therapists(-(-patients // PATIENTS_PER_THERAPIST))
    clinic = Clinic(seed=seed, today=today)
    inserted = 0
    with stopwatch() as elapsed:
        for start in range(have, patients, BATCH):
            rows = clinic.add(range(start, min(start + BATCH, patients)), therapist_users)
            with transaction.atomic():
                insert(rows)
            inserted += rows.count()
    with stopwatch() as analyze_time, connection.cursor() as cursor:
        # Fresh statistics, as autovacuum would gather them: without them PostgreSQL plans
        # the sweep's per-chunk queries as whole-table scans.
        cursor.execute("ANALYZE")
    return {
        "database": connection.vendor,
        "patients": patients,
        "patients_added": max(0, patients - have),
        "today": today.isoformat(),
        "seed": seed,
        "rows_inserted": inserted,
        "seconds": round(elapsed(), 2),
        "setup_seconds": round(setup_time(), 2),
        "analyze_seconds": round(analyze_time(), 2),
        "rows_per_second": round(inserted / elapsed()) if elapsed() else None,
        "distinct_intakes_planned": len(clinic.plans),
        "patients_in_database": get_user_model()
        .objects.filter(username__startswith="bench-p")
        .count(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "totals": {
            "session_logs": SessionLog.objects.count(),
            "exercise_logs": ExerciseLog.objects.count(),
            "check_ins": CheckIn.objects.count(),
            "questionnaires": QuestionnaireResponse.objects.count(),
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--database", default=DEFAULT_SQLITE, help="DATABASE_URL for bench data")
    parser.add_argument("--today", type=date.fromisoformat, default=default_today())
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    setup_django(args.database)
    emit(generate(patients=args.patients, today=args.today, seed=args.seed))


if __name__ == "__main__":
    main()
