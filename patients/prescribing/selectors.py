"""What a patient reads of their whole programme. My programme (the page), `GET
/api/v1/programme/` and the printed handout all present this one selection, so they cannot
drift apart. Patient wording only: no source ids, no clinician notes (the serializers and
templates leave those out; the checkpoints' clinician rules are not part of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from patients.activity.selectors import check_in_questions
from patients.monitoring.selectors import (
    Pause,
    has_dvt_risk,
    injury_date,
    pause_for,
    urgency_heading,
)
from patients.schedule import ice_heat_dates, phase_start
from programmes.models import Checkpoint, IceHeatSlot, Programme, ProgrammePhase, RedFlag
from programmes.selectors import programme_detail, programmes_visible_to
from programmes.vocab import Urgency

# Checkpoints that are not a date to look forward to but a rule checked every morning or
# every week (the pain-monitoring model, timeframes.yaml): Today and the check-in carry them.
ONGOING_METRICS = frozenset({"next_morning_pain", "weekly_trend"})


@dataclass(frozen=True)
class IceHeatPlan:
    """An ice or heat slot with the dates it runs (`last_on` None: while the programme runs)."""

    slot: IceHeatSlot
    first_on: date
    last_on: date | None
    finished: bool


@dataclass(frozen=True)
class WarningSign:
    """A red flag in the patient's words: the question, what to do, and how soon."""

    flag: RedFlag

    @property
    def heading(self) -> str:
        return urgency_heading(self.flag.urgency)


@dataclass(frozen=True)
class Review:
    due_on: date
    passed: bool


@dataclass(frozen=True)
class MyProgramme:
    programme: Programme
    phases: list[ProgrammePhase]
    current_phase: int
    ice_heat: list[IceHeatPlan]
    warning_signs: list[WarningSign]
    reviews: list[Review]
    paused: Pause | None
    therapist: str
    clinic: str
    today: date


def patient_programme(user: Any) -> Programme | None:
    """The signed-in patient's active programme, as `my_programme` reads it."""
    return programmes_visible_to(user).filter(status=Programme.Status.ACTIVE).first()


def my_programme(programme: Programme, *, today: date) -> MyProgramme:
    """The whole of `programme` as its patient reads it, on the patient's date `today`. Read
    it from `patient_programme` / `programmes_visible_to` (the patient, their therapist and
    the diagnosis joined in): six queries then, however long the programme.

    - every phase of the current revision with its items (dose in words: `describe_dose`),
      its goals, advice and what moves it on (the catalogue's progression criteria);
    - the ice/heat slots with their dates and safety rules;
    - the warning signs: the red-flag questions the patient's morning check-in asks (their
      condition's own and, after a DVT risk, the DVT questions), most urgent first — never
      an examination finding a patient cannot answer;
    - the review dates (checkpoints), without the clinician's rule text;
    - the pause a red flag has put on the programme, if any."""
    patient: Any = programme.patient
    revision = programme.current_revision
    assert revision is not None
    injured_on = injury_date(programme)
    ice_heat = []
    for slot in revision.ice_heat_slots.order_by("modality", "from_day"):
        dates = ice_heat_dates(slot, programme.started_on, injured_on)
        if dates is not None:
            first_on, last_on = dates
            finished = last_on is not None and last_on < today
            ice_heat.append(IceHeatPlan(slot, first_on, last_on, finished))
    flags = check_in_questions(programme.condition_id, dvt_risk=has_dvt_risk(programme))
    flags.sort(key=lambda f: -Urgency(f.urgency).rank)  # stable: catalogue order within
    checkpoints = Checkpoint.objects.filter(programme=programme).select_related("timeframe")
    reviews = sorted(
        {c.due_on for c in checkpoints if c.timeframe.metric not in ONGOING_METRICS},
    )
    phases = programme_detail(programme)
    first_phase: dict[Any, int] = {}
    for phase in phases:
        # Annotations, as a queryset's annotate() adds them: the earliest date the phase can
        # start (the therapist moves a patient on when its criteria are met), and the first
        # phase with each exercise (the handout prints its steps once, there).
        phase.starts_on = phase_start(programme.started_on, phase.start_week)  # type: ignore[attr-defined]
        for item in phase.items.all():
            item.steps_in_phase = first_phase.setdefault(item.exercise_id, phase.position)  # type: ignore[attr-defined]
    therapist = patient.therapist.user
    return MyProgramme(
        programme=programme,
        phases=phases,
        current_phase=revision.current_phase,
        ice_heat=ice_heat,
        warning_signs=[WarningSign(f) for f in flags],
        reviews=[Review(due_on=d, passed=d < today) for d in reviews],
        paused=pause_for(patient),
        therapist=therapist.get_full_name() or therapist.get_username(),
        clinic=settings.REHAB_CLINIC_NAME,
        today=today,
    )
