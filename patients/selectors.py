"""Reads for the patients app."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Max

from programmes.models import Programme, ProgrammeItem
from programmes.selectors import catalogue_snapshot

from .models import CheckIn, Patient, QuestionnaireResponse, SessionLog
from .monitoring import WEEK, DueCheckpoint, Morning, PatientState, ScoreOn, SessionDay

# How far back monitoring reads: the longest documented timeframe (symptoms beyond a few
# months, 90 days) plus a week of baseline.
HISTORY_DAYS = 120


def local_today(patient: Patient, now: datetime) -> date:
    return now.astimezone(patient.zone).date()


def active_programme(patient: Patient) -> Programme | None:
    return (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .select_related("current_revision", "condition")
        .first()
    )


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
    """Everything the monitoring rules need, in a fixed number of queries."""
    today = local_today(patient, now)
    since = max(programme.started_on - timedelta(days=WEEK), today - timedelta(days=HISTORY_DAYS))
    items = current_phase_items(programme)

    per_day: dict[date, list[SessionLog]] = defaultdict(list)
    logs = SessionLog.objects.filter(programme=programme, local_date__gte=since).annotate(
        max_pain_during=Max("exercises__pain_during_nrs")
    )
    for log in logs:
        per_day[log.local_date].append(log)
    days = tuple(
        SessionDay(
            date=day,
            sessions_done=sum(1 for log in day_logs if log.status == SessionLog.Status.DONE),
            max_pain_during=_max(log.max_pain_during for log in day_logs),  # type: ignore[attr-defined]
            max_pain_after=_max(log.pain_after_nrs for log in day_logs),
        )
        for day, day_logs in sorted(per_day.items())
    )
    mornings = tuple(
        Morning(c.local_date, c.morning_pain_nrs, c.stiffness_minutes, tuple(c.red_flags))
        for c in CheckIn.objects.filter(patient=patient, local_date__gte=since).order_by(
            "local_date"
        )
    )
    visa_a = tuple(
        ScoreOn(r.local_date, r.score)
        for r in QuestionnaireResponse.objects.filter(
            patient=patient, questionnaire="visa_a", local_date__gte=since
        ).order_by("local_date", "created_at")
    )
    catalogue = catalogue_snapshot()
    checkpoints = tuple(
        DueCheckpoint(catalogue.timeframes[c.timeframe.slug], c.due_on)
        for c in programme.checkpoints.select_related("timeframe")
    )
    return PatientState(
        today=today,
        started_on=programme.started_on,
        sessions_per_week=sessions_per_week(items),
        days=days,
        mornings=mornings,
        visa_a=visa_a,
        checkpoints=checkpoints,
        thresholds=catalogue.thresholds,
        red_flags=catalogue.red_flags,
        regression=regression_suggestion(programme, items),
    )


def _max(values: object) -> int | None:
    present = [v for v in values if v is not None]  # type: ignore[attr-defined]
    return max(present) if present else None
