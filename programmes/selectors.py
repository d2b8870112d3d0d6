"""Reads for the programmes app: the catalogue snapshot, and a patient's programmes (the
patient passed in as any object the ORM accepts: programmes imports nothing of patients)."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404
from django.urls import reverse

from programmes.figure_files import figure_media
from programmes.knowledge import (
    Catalogue,
    ConditionSpec,
    DoseSpec,
    ExerciseSpec,
    IceHeatRuleSpec,
    IceHeatScheduleSpec,
    PainLimitsSpec,
    PhaseSpec,
    ProtocolItemSpec,
    ProtocolSpec,
    RedFlagSpec,
    ThresholdSpec,
    TimeframeSpec,
)
from programmes.models import (
    Condition,
    Dose,
    Exercise,
    ExerciseMedia,
    IceHeatRule,
    IceHeatSchedule,
    Programme,
    ProgrammeItem,
    ProgrammePhase,
    ProgrammeRevision,
    Protocol,
    ProtocolItem,
    ProtocolPhase,
    RedFlag,
    Source,
    Threshold,
    Timeframe,
)
from rehab.roles import visible_patients
from rehab.shortcuts import get_or_404

_cache: dict[str, Any] = {}
_lock = threading.Lock()

CATALOGUE_MODELS = (
    Condition,
    Exercise,
    ExerciseMedia,
    Protocol,
    ProtocolPhase,
    ProtocolItem,
    RedFlag,
    Timeframe,
    Threshold,
    IceHeatRule,
    IceHeatSchedule,
    Source,
)


def catalogue_snapshot() -> Catalogue:
    """The catalogue as immutable dataclasses for the pure planner.

    Built once per process (a fixed handful of queries) and rebuilt after any catalogue row is
    saved or deleted in this process (admin edits, load_catalogue). Other processes pick up an
    edit when they restart; a clinic editing the catalogue restarts the app (README)."""
    with _lock:
        snapshot = _cache.get("catalogue")
        if snapshot is None:
            snapshot = _cache["catalogue"] = build_catalogue()
        return snapshot


def red_flags_asked() -> tuple[tuple[RedFlag, frozenset[Any]], ...]:
    """Every red flag in catalogue order with the ids of the conditions that list it: what the
    morning check-in asks is chosen from these. Kept beside the catalogue snapshot and
    forgotten with it (the rows are only read, never saved, by their users)."""
    with _lock:
        flags = _cache.get("red_flags")
        if flags is None:
            flags = _cache["red_flags"] = tuple(
                (flag, frozenset(c.pk for c in flag.conditions.all()))
                for flag in RedFlag.objects.prefetch_related("conditions").order_by("id")
            )
        return flags


def uploaded_media() -> dict[str, tuple[dict[str, Any], ...]]:
    """Every uploaded photo and video as API `media` entries, by exercise slug. Read once per
    process (one query) and forgotten with the catalogue snapshot, so Today and the
    programme endpoints show them without a query per item."""
    with _lock:
        media = _cache.get("media")
        if media is None:
            grouped: dict[str, list[dict[str, Any]]] = {}
            rows = ExerciseMedia.objects.select_related("exercise").order_by(
                "exercise_id", "position", "created_at"
            )
            for row in rows:
                grouped.setdefault(row.exercise.slug, []).append(
                    {
                        "kind": row.kind,
                        "url": reverse("exercise_media", args=[row.pk]),
                        "alt": row.alt,
                        "content_type": row.content_type,
                        "width": None,
                        "height": None,
                        "licence": row.licence,
                        "author": row.author,
                        "source_url": row.source_url,
                    }
                )
            media = _cache["media"] = {k: tuple(v) for k, v in grouped.items()}
        return media


def media_for(exercise: Exercise | ExerciseSpec | str) -> list[dict[str, Any]]:
    """An exercise's `media` (a row, a catalogue-snapshot entry, or a slug): our figure first
    (its name is on the row; drawn from the catalogue file), then any photo or video the
    clinic uploaded, with its credit. No query per exercise (both are read once per process)."""
    if isinstance(exercise, str):
        found = catalogue_snapshot().exercises.get(exercise)
        if found is None:
            return []
        exercise = found
    figure = figure_media(exercise)
    return [*([figure] if figure else []), *uploaded_media().get(exercise.slug, ())]


INFERENCE = "INFERENCE"


@dataclass(frozen=True, slots=True)
class Citation:
    """A source id resolved: its citation and its links (sources.yaml `url`, split)."""

    code: str
    citation: str
    urls: tuple[str, ...]


def citations() -> dict[str, Citation]:
    """Every source id a catalogue entry may cite (sources.yaml, loaded into Source), in
    reference order; kept beside the catalogue snapshot and forgotten with it."""
    with _lock:
        found = _cache.get("citations")
        if found is None:
            found = _cache["citations"] = {
                s.code: Citation(
                    code=s.code,
                    citation=s.citation,
                    urls=tuple(re.findall(r"https?://[^\s;]+", s.url)),
                )
                for s in Source.objects.order_by("id")
            }
        return found


def exercises_with_regressions() -> dict[Any, Exercise]:
    """Every exercise by id, with its easier version: kept beside the catalogue snapshot and
    forgotten with it (the monitoring sweep asked for them once a chunk)."""
    with _lock:
        found = _cache.get("exercises")
        if found is None:
            found = _cache["exercises"] = {
                e.pk: e for e in Exercise.objects.select_related("regression")
            }
        return found


def catalogue_memo(name: str) -> dict[Any, Any]:
    """A dict for values worked out from the catalogue (and from rows that never change, such
    as a revision's items), kept beside the catalogue snapshot and forgotten with it."""
    with _lock:
        memo: dict[Any, Any] = _cache.setdefault(f"memo:{name}", {})
        return memo


def forget_catalogue(**_: Any) -> None:
    _cache.clear()


for _model in CATALOGUE_MODELS:
    post_save.connect(forget_catalogue, sender=_model, dispatch_uid=f"forget-{_model.__name__}")
    post_delete.connect(forget_catalogue, sender=_model, dispatch_uid=f"forget-d-{_model.__name__}")
for _through in (Condition.red_flags.through, Condition.timeframes.through):
    m2m_changed.connect(forget_catalogue, sender=_through, dispatch_uid=f"forget-{_through}")


def _dose(row: Dose) -> DoseSpec:
    return DoseSpec(
        sets=row.sets,
        reps=row.reps,
        reps_max=row.reps_max,
        hold_s=row.hold_s,
        times_per_day=row.times_per_day,
        days_per_week=row.days_per_week,
        load=row.load,
        tempo=row.tempo,
        rest_s=row.rest_s,
        dose_notes=row.dose_notes,
    )


def build_catalogue() -> Catalogue:
    exercises = {
        e.slug: ExerciseSpec(
            slug=e.slug,
            name=e.name,
            category=e.category,
            movement_tags=frozenset(e.movement_tags),
            dose=_dose(e),
            sources=tuple(e.sources),
            progression=e.progression.slug if e.progression else None,
            regression=e.regression.slug if e.regression else None,
            patient_cautions={k: tuple(v) for k, v in e.patient_cautions.items()},
            cautions=e.cautions,
            dose_to_confirm=e.dose_to_confirm,
            figure=e.figure,
        )
        for e in Exercise.objects.select_related("progression", "regression")
    }
    conditions = {
        c.slug: ConditionSpec(
            slug=c.slug,
            name=c.name,
            home_status=c.home_status,
            contraindicated_tags=frozenset(c.contraindicated_tags),
            red_flags=tuple(r.slug for r in c.red_flags.all()),
            timeframes=tuple(t.slug for t in c.timeframes.all()),
            refer_if=frozenset(c.refer_if),
            age_min=c.age_min,
            age_max=c.age_max,
            ice_heat=frozenset(c.ice_heat),
            refer_when=c.refer_when,
            sources=tuple(c.sources),
            acute_injury=c.acute_injury,
            referral_urgency=c.referral_urgency or None,
            screening=frozenset(c.screening),
        )
        for c in Condition.objects.prefetch_related("red_flags", "timeframes")
    }
    protocols = {
        p.slug: ProtocolSpec(
            slug=p.slug,
            condition=p.condition.slug,
            name=p.name,
            is_default=p.is_default,
            sources=tuple(p.sources),
            phases=tuple(
                PhaseSpec(
                    position=ph.position,
                    name=ph.name,
                    start_week=ph.start_week,
                    end_week=ph.end_week,
                    goals=tuple(ph.goals),
                    progression_criteria=tuple(ph.progression_criteria),
                    advice=tuple(ph.advice),
                    sources=tuple(ph.sources),
                    items=tuple(
                        ProtocolItemSpec(
                            exercise=item.exercise.slug,
                            dose=_dose(item),
                            sources=tuple(item.sources),
                            when={k: tuple(v) for k, v in item.when.items()},
                        )
                        for item in ph.items.all()
                    ),
                )
                for ph in p.phases.all()
            ),
            pain_limits=_pain_limits(p),
        )
        for p in Protocol.objects.select_related("condition").prefetch_related(
            "phases__items__exercise"
        )
    }
    return Catalogue(
        conditions=conditions,
        exercises=exercises,
        protocols=protocols,
        red_flags={
            r.slug: RedFlagSpec(
                slug=r.slug,
                urgency=r.urgency,
                meaning=r.meaning,
                sources=tuple(r.sources),
                check_in=r.check_in,
            )
            for r in RedFlag.objects.all()
        },
        timeframes={
            t.slug: TimeframeSpec(
                slug=t.slug,
                after_days=t.after_days,
                by_days=t.by_days,
                applies_when=t.applies_when,
                rule=t.rule,
                action=t.action,
                metric=t.metric,
                threshold=t.threshold,
                sources=tuple(t.sources),
            )
            for t in Timeframe.objects.all()
        },
        ice_heat_rules={
            r.modality: IceHeatRuleSpec(
                modality=r.modality,
                exercise=r.exercise.slug,
                max_minutes=r.max_minutes,
                min_gap_hours=r.min_gap_hours,
                safety_rules=tuple(r.safety_rules),
                sources=tuple(r.sources),
            )
            for r in IceHeatRule.objects.select_related("exercise")
        },
        ice_heat_schedules=tuple(
            IceHeatScheduleSpec(
                slug=s.slug,
                modality=s.modality,
                situation=s.situation,
                times=tuple(time.fromisoformat(t) for t in s.times),
                from_day=s.from_day,
                to_day=s.to_day,
                sources=tuple(s.sources),
            )
            for s in IceHeatSchedule.objects.all()
        ),
        thresholds={
            t.slug: ThresholdSpec(slug=t.slug, value=t.value, sources=tuple(t.sources))
            for t in Threshold.objects.all()
        },
    )


def _pain_limits(protocol: Protocol) -> PainLimitsSpec | None:
    during, after = protocol.pain_during_max, protocol.pain_after_max
    margin, progress = protocol.pain_next_morning_margin, protocol.pain_progress_max
    if during is None or after is None or margin is None or progress is None:
        return None  # not set (edited away in the admin): thresholds.yaml applies
    return PainLimitsSpec(
        during_max=during,
        after_max=after,
        next_morning_margin=margin,
        progress_max=progress,
        sources=tuple(protocol.pain_limits_sources),
    )


def active_programme(patient: Any) -> Programme | None:
    return (
        Programme.objects.filter(patient=patient, status=Programme.Status.ACTIVE)
        .select_related("current_revision", "condition", "diagnosis")
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


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    """A patient's own programmes; a therapist's caseload's programmes (with the patient, their
    therapist and the diagnosis, which My programme and the handout name and read)."""
    return Programme.objects.filter(visible_patients(user, via="patient")).select_related(
        "condition",
        "protocol",
        "current_revision",
        "patient__user",
        "patient__therapist__user",
        "diagnosis",
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


def programmes_of(patient: Any) -> list[Programme]:
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
