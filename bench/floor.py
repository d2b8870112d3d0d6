"""The framework floor: bare Django views for the mobile hot paths.

Each runs the same queries as its /api/v1/ endpoint — the same knox token check, the same
selector or service — and returns the same JSON, built by hand and sent with JsonResponse:
no DRF view, permission, serializer or renderer. API time ÷ floor time is what the framework
costs. bench/api.py compares each floor response with the API's and reports any difference,
so a change to an output serializer shows up as `same_json: false` rather than going unseen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework import exceptions

View = Callable[..., HttpResponse]
# knox ships no type information: load its authentication class by name.
TokenAuthentication = import_string("knox.auth.TokenAuthentication")


def _user(request: HttpRequest) -> Any:
    """The knox token check the API does (same query, same expiry refresh), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0] != "Token":
        return None
    try:
        user, _ = TokenAuthentication().authenticate_credentials(header[1].encode())
    except exceptions.AuthenticationFailed:
        return None
    return user


def _stamp(value: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    text = timezone.localtime(value, timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def _item(item: Any) -> dict[str, Any]:
    exercise = item.exercise
    return {
        "key": str(item.key),
        "position": item.position,
        "exercise": {
            "slug": exercise.slug,
            "name": exercise.name,
            "category": exercise.category,
            "movement_tags": list(exercise.movement_tags),
            "instructions": list(exercise.instructions),
            "cautions": exercise.cautions,
        },
        **{
            name: getattr(item, name)
            for name in (
                "sets",
                "reps",
                "reps_max",
                "hold_s",
                "times_per_day",
                "days_per_week",
                "load",
                "tempo",
                "rest_s",
                "dose_notes",
                "override_reason",
            )
        },
        "sources": list(item.sources),
    }


def _slot(slot: Any) -> dict[str, Any]:
    return {
        "modality": slot.modality,
        "max_minutes": slot.max_minutes,
        "min_gap_hours": slot.min_gap_hours,
        "times": list(slot.times),
        "from_day": slot.from_day,
        "to_day": slot.to_day,
        "safety_rules": list(slot.safety_rules),
        "sources": list(slot.sources),
    }


def _log(log: Any, zone: Any) -> dict[str, Any]:
    return {
        "id": str(log.pk),
        "client_uuid": str(log.client_uuid),
        "programme": str(log.programme_id),
        "local_date": _day(log.local_date),
        "slot": log.slot,
        "status": log.status,
        "skip_reason": log.skip_reason,
        "pain_after_nrs": log.pain_after_nrs,
        "exercises": [
            {
                "item_key": str(e.item_key),
                "exercise": e.exercise.slug,
                "target_sets": e.target_sets,
                "target_reps": e.target_reps,
                "target_hold_s": e.target_hold_s,
                "sets_done": e.sets_done,
                "reps_done": e.reps_done,
                "hold_s_done": e.hold_s_done,
                "load": e.load,
                "pain_during_nrs": e.pain_during_nrs,
            }
            for e in log.exercises.all()
        ],
        "logged_at": log.logged_at.astimezone(zone).isoformat(),
        "created_at": _stamp(log.created_at),
        "updated_at": _stamp(log.updated_at),
    }


def _forbidden() -> JsonResponse:
    return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)


@require_http_methods(["GET"])
def today(request: HttpRequest) -> HttpResponse:
    from patients.activity.selectors import today_for

    user = _user(request)
    patient = getattr(user, "patient", None) if user else None
    if patient is None:
        return _forbidden()
    zone = patient.zone
    day = today_for(patient, timezone.now())
    check_in = day.check_in
    return JsonResponse(
        {
            "local_date": _day(day.local_date),
            "programme": _id(day.programme.pk if day.programme else None),
            "phase": {"position": day.phase.position, "name": day.phase.name}
            if day.phase
            else None,
            "week": day.week,
            "sessions": [
                {
                    "slot": s.slot,
                    "time": s.time,
                    "items": [_item(i) for i in s.items],
                    "log": _log(s.log, zone) if s.log else None,
                }
                for s in day.sessions
            ],
            "ice_heat": [_slot(s) for s in day.ice_heat],
            "check_in": {
                "id": str(check_in.pk),
                "client_uuid": str(check_in.client_uuid),
                "local_date": _day(check_in.local_date),
                "morning_pain_nrs": check_in.morning_pain_nrs,
                "stiffness_minutes": check_in.stiffness_minutes,
                "red_flags": list(check_in.red_flags),
                "logged_at": check_in.logged_at.astimezone(zone).isoformat(),
                "created_at": _stamp(check_in.created_at),
            }
            if check_in
            else None,
            "questionnaire": day.questionnaire,
            "questionnaire_due": day.questionnaire_due,
        }
    )


@require_http_methods(["GET"])
def programme(request: HttpRequest) -> HttpResponse:
    from programmes.selectors import active_programme, programme_detail, programmes_visible_to

    user = _user(request)
    patient = getattr(user, "patient", None) if user else None
    if patient is None:
        return _forbidden()
    current = active_programme(patient)
    if current is None:
        return JsonResponse({"detail": "You have no active programme."}, status=404)
    row = programmes_visible_to(user).get(pk=current.pk)
    revision = row.current_revision
    return JsonResponse(
        {
            "id": str(row.pk),
            "patient": str(row.patient_id),
            "condition": row.condition.slug,
            "condition_name": row.condition.name,
            "protocol": row.protocol.slug,
            "protocol_name": row.protocol.name,
            "side": row.side,
            "status": row.status,
            "started_on": _day(row.started_on),
            "revision": revision.number if revision else None,
            "current_phase": revision.current_phase if revision else None,
            "phases": [
                {
                    "position": p.position,
                    "name": p.name,
                    "start_week": p.start_week,
                    "end_week": p.end_week,
                    "goals": list(p.goals),
                    "progression_criteria": list(p.progression_criteria),
                    "advice": list(p.advice),
                    "sources": list(p.sources),
                    "items": [_item(i) for i in p.items.all()],
                }
                for p in programme_detail(row)
            ],
            "ice_heat": [_slot(s) for s in revision.ice_heat_slots.all()] if revision else [],
        }
    )


@require_http_methods(["GET"])
def caseload(request: HttpRequest) -> HttpResponse:
    from patients.people.selectors import caseload as caseload_rows

    user = _user(request)
    therapist = getattr(user, "therapist", None) if user else None
    if therapist is None:
        return _forbidden()
    rows = caseload_rows(therapist, timezone.now())
    # The API's pagination (rehab.api.ApiPagination), first page only: the bench asks for
    # ?page_size=100, so a caseload of 100 comes whole.
    size = min(int(request.GET.get("page_size", 50)), 200)
    page = rows[:size]
    next_page = None
    if len(rows) > size:
        next_page = request.build_absolute_uri(
            f"{request.path}?page=2&page_size={size}"
            if "page_size" in request.GET
            else f"{request.path}?page=2"
        )
    results = [
        {
            "patient": {
                "id": str(r.patient.pk),
                "name": str(r.patient),
                "username": r.patient.user.username,
            },
            "programme": _id(r.programme.pk if r.programme else None),
            "condition": r.programme.condition.name if r.programme else None,
            "week": r.week,
            "phase": {"position": r.phase.position, "name": r.phase.name} if r.phase else None,
            "adherence_7d": r.adherence_7d,
            "latest_pain_nrs": r.latest_pain_nrs,
            "latest_pain_on": _day(r.latest_pain_on),
            "open_flags": [
                {
                    "id": str(f.pk),
                    "kind": f.kind,
                    "severity": f.severity,
                    "status": f.status,
                    "message": f.message,
                    "created_at": _stamp(f.created_at),
                }
                for f in r.open_flags
            ],
        }
        for r in page
    ]
    return JsonResponse(
        {"count": len(rows), "next": next_page, "previous": None, "results": results}
    )


@csrf_exempt
@require_http_methods(["POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    """Log a session: the same service call as the API's POST, the same output."""
    from patients.activity import sync
    from patients.activity.services import ExerciseDone

    user = _user(request)
    patient = getattr(user, "patient", None) if user else None
    if patient is None:
        return _forbidden()
    body = json.loads(request.body)
    recorded = sync.record_offline(
        "session",
        patient=patient,
        client_uuid=uuid.UUID(body["client_uuid"]),
        local_date=date.fromisoformat(body["local_date"]),
        slot=int(body["slot"]),
        logged_at=timezone.now(),
        now=timezone.now(),
        exercises=[
            ExerciseDone(
                item_key=uuid.UUID(e["item_key"]),
                sets_done=e.get("sets_done"),
                reps_done=e.get("reps_done"),
                hold_s_done=e.get("hold_s_done"),
                load=e.get("load", ""),
                pain_during_nrs=e.get("pain_during_nrs"),
            )
            for e in body.get("exercises", [])
        ],
        pain_after_nrs=body.get("pain_after_nrs"),
        skipped=body.get("status") == "skipped",
        skip_reason=body.get("skip_reason", ""),
    )
    status = 201 if recorded.outcome == "created" else 200
    return JsonResponse(_log(recorded.obj, patient.zone), status=status)
