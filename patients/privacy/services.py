"""A patient's data, to take away (export) or to have removed (anonymise).

- `patient_export` gathers everything the clinic holds about one patient — profile,
  diagnoses, programmes with every revision, session logs with each exercise entry,
  check-ins, questionnaire scores, flags — as plain JSON-ready data, in a fixed number of
  queries whatever the history's length. `export_json` and `export_csv_zip` write it out.
- `anonymise_patient` removes what identifies the patient and keeps the clinical history
  (logs, check-ins, scores, flags, programmes) attached to an account that names nobody, so
  the clinic's aggregate figures stay true. It is audited like every other change.

Every export is recorded in the audit trail by the caller (rehab.audit.log_access)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # type: ignore[import-untyped]
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Prefetch, Q
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken  # type: ignore[import-untyped]

from patients.models import (
    CalendarFeed,
    CheckIn,
    Device,
    Diagnosis,
    ExerciseLog,
    Flag,
    Notification,
    Patient,
    PushSubscription,
    QuestionnaireResponse,
    SessionLog,
)
from programmes.models import Programme, ProgrammeItem, ProgrammePhase, ProgrammeRevision
from rehab.audit import log_access
from rehab.exceptions import DomainError
from rehab.models import IdempotencyKey

EXPORT_FORMAT_VERSION = 1


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def patient_export(patient: Patient, *, now: datetime) -> dict[str, Any]:
    """Everything held about `patient`, newest last within each list."""
    user = patient.user
    diagnoses = Diagnosis.objects.filter(patient=patient).select_related("condition")
    items: Any = ProgrammeItem.objects.select_related("exercise").order_by("position")
    phases: Any = ProgrammePhase.objects.all()
    phases = phases.prefetch_related(Prefetch("items", queryset=items))
    revisions = (
        ProgrammeRevision.objects.select_related("changed_by")
        .prefetch_related(Prefetch("phases", queryset=phases.order_by("position")))
        .order_by("number")
    )
    programmes = (
        Programme.objects.filter(patient=patient)
        .select_related("condition", "protocol", "prescribed_by")
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("started_on", "created_at")
    )
    entries = ExerciseLog.objects.select_related("exercise").order_by("pk")
    sessions = (
        SessionLog.objects.filter(patient=patient)
        .prefetch_related(Prefetch("exercises", queryset=entries))
        .order_by("local_date", "slot")
    )
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": _when(now),
        "patient": {
            "id": str(patient.pk),
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": patient.phone,
            "date_of_birth": _when(patient.date_of_birth),
            "time_zone": patient.time_zone,
            "session_times": list(patient.session_times),
            "email_reminders": patient.email_reminders,
            "push_reminders": patient.push_reminders,
            "mobile_reminders": patient.mobile_reminders,
            "quiet_start": patient.quiet_start.isoformat(),
            "quiet_end": patient.quiet_end.isoformat(),
            "therapist": _name(patient.therapist.user),
            "joined": _when(patient.created_at),
        },
        "diagnoses": [
            {
                "id": str(d.pk),
                "condition": d.condition.slug,
                "condition_name": d.condition.name,
                "side": d.side,
                "made_on": _when(d.made_on),
                "intake": d.intake,
                "notes": d.notes,
            }
            for d in diagnoses.order_by("made_on", "created_at")
        ],
        "programmes": [_programme(p) for p in programmes],
        "session_logs": [
            {
                "id": str(s.pk),
                "programme": str(s.programme_id),
                "local_date": _when(s.local_date),
                "slot": s.slot,
                "status": s.status,
                "skip_reason": s.skip_reason,
                "pain_after_nrs": s.pain_after_nrs,
                "logged_at": _when(s.logged_at),
                "exercises": [
                    {
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
                    for e in s.exercises.all()
                ],
            }
            for s in sessions
        ],
        "check_ins": [
            {
                "id": str(c.pk),
                "local_date": _when(c.local_date),
                "morning_pain_nrs": c.morning_pain_nrs,
                "stiffness_minutes": c.stiffness_minutes,
                "red_flags": list(c.red_flags),
                "swelling": c.swelling,
                "logged_at": _when(c.logged_at),
            }
            for c in CheckIn.objects.filter(patient=patient).order_by("local_date")
        ],
        "questionnaire_responses": [
            {
                "id": str(r.pk),
                "questionnaire": r.questionnaire,
                "local_date": _when(r.local_date),
                "score": r.score,
                "subscales": r.subscales,
                "answers": r.answers,
                "logged_at": _when(r.logged_at),
            }
            for r in QuestionnaireResponse.objects.filter(patient=patient).order_by(
                "local_date", "created_at"
            )
        ],
        "flags": [
            {
                "id": str(f.pk),
                "kind": f.kind,
                "severity": f.severity,
                "status": f.status,
                "rule": f.rule,
                "episode": f.episode,
                "message": f.message,
                "evidence": f.evidence,
                "suggestion": f.suggestion,
                "sources": list(f.sources),
                "raised_at": _when(f.created_at),
                "acknowledged_at": _when(f.acknowledged_at),
                "resolved_at": _when(f.resolved_at),
                "resolution_note": f.resolution_note,
            }
            for f in Flag.objects.filter(patient=patient).order_by("created_at")
        ],
        # The browsers that get web push (their push addresses and keys are secrets of the
        # browser and its push service, not the patient's information, and are left out).
        "push_devices": [
            {
                "id": str(d.pk),
                "device": d.device,
                "added": _when(d.created_at),
                "last_pushed_at": _when(d.last_pushed_at),
            }
            for d in PushSubscription.objects.filter(user=user)
        ],
        # The mobile apps registered for push (their tokens left out, likewise).
        "app_devices": [
            {
                "id": str(d.pk),
                "platform": d.platform,
                "name": d.name,
                "app_version": d.app_version,
                "added": _when(d.created_at),
                "last_seen_at": _when(d.last_seen_at),
                "last_pushed_at": _when(d.last_pushed_at),
            }
            for d in Device.objects.filter(patient=patient)
        ],
    }


def _programme(p: Programme) -> dict[str, Any]:
    return {
        "id": str(p.pk),
        "condition": p.condition.slug,
        "condition_name": p.condition.name,
        "protocol": p.protocol.slug,
        "side": p.side,
        "status": p.status,
        "started_on": _when(p.started_on),
        "prescribed_by": _name(p.prescribed_by),
        "revisions": [
            {
                "number": r.number,
                "kind": r.kind,
                "reason": r.reason,
                "summary": r.summary,
                "override_reason": r.override_reason,
                "changed_by": _name(r.changed_by),
                "changed_at": _when(r.created_at),
                "current_phase": r.current_phase,
                "phases": [
                    {
                        "position": phase.position,
                        "name": phase.name,
                        "start_week": phase.start_week,
                        "end_week": phase.end_week,
                        "items": [
                            {"exercise": i.exercise.slug, "name": i.exercise.name} | i.dose_dict()
                            for i in phase.items.all()
                        ],
                    }
                    for phase in r.phases.all()
                ],
            }
            for r in p.revisions.all()
        ],
    }


def export_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


# Spreadsheet programs run a cell that starts with one of these as a formula; patients'
# free text must never become one (CSV injection), so such a cell gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


def export_csv_zip(data: Mapping[str, Any]) -> bytes:
    """One CSV file per table, in a zip (lists inside a row, such as red flags or answers,
    are written as JSON text)."""
    revisions = [
        {"programme": p["id"], **{k: v for k, v in r.items() if k != "phases"}}
        for p in data["programmes"]
        for r in p["revisions"]
    ]
    prescribed = [
        {
            "programme": p["id"],
            "revision": r["number"],
            "phase": phase["position"],
            "phase_name": phase["name"],
            **item,
        }
        for p in data["programmes"]
        for r in p["revisions"]
        for phase in r["phases"]
        for item in phase["items"]
    ]
    entries = [
        {"session": s["id"], "local_date": s["local_date"], "slot": s["slot"], **e}
        for s in data["session_logs"]
        for e in s["exercises"]
    ]
    tables: dict[str, Sequence[Mapping[str, Any]]] = {
        "patient": [data["patient"]],
        "diagnoses": data["diagnoses"],
        "programmes": [
            {k: v for k, v in p.items() if k != "revisions"} for p in data["programmes"]
        ],
        "programme_revisions": revisions,
        "prescribed_exercises": prescribed,
        "session_logs": [
            {k: v for k, v in s.items() if k != "exercises"} for s in data["session_logs"]
        ],
        "exercise_entries": entries,
        "check_ins": data["check_ins"],
        "questionnaire_responses": data["questionnaire_responses"],
        "flags": data["flags"],
        "push_devices": data["push_devices"],
        "app_devices": data["app_devices"],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            columns = list(rows[0]) if rows else _EMPTY_COLUMNS.get(name, ["id"])
            archive.writestr(f"{name}.csv", _csv(columns, rows))
        archive.writestr(
            "README.txt",
            f"Your data from the rehab planner, exported {data['exported_at']}.\n"
            "One CSV file per kind of record (UTF-8, comma-separated, first row = column "
            "names). Dates are local to you; times are ISO 8601 with their offset.\n",
        )
    return buffer.getvalue()


# Column names for tables with no rows yet, so every file has a header.
_EMPTY_COLUMNS = {
    "push_devices": ["id", "device", "added", "last_pushed_at"],
    "app_devices": ["id", "platform", "name", "app_version", "added", "last_seen_at"],
    "diagnoses": ["id", "condition", "condition_name", "side", "made_on", "intake", "notes"],
    "programmes": ["id", "condition", "condition_name", "protocol", "side", "status"],
    "programme_revisions": ["programme", "number", "kind", "reason", "changed_at"],
    "prescribed_exercises": ["programme", "revision", "phase", "exercise", "sets", "reps"],
    "session_logs": ["id", "programme", "local_date", "slot", "status", "pain_after_nrs"],
    "exercise_entries": ["session", "local_date", "slot", "exercise", "sets_done"],
    "check_ins": ["id", "local_date", "morning_pain_nrs", "stiffness_minutes", "red_flags"],
    "questionnaire_responses": ["id", "questionnaire", "local_date", "score", "answers"],
    "flags": ["id", "kind", "severity", "status", "message", "raised_at"],
}


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    content_type: str
    filename: str


EXPORT_FORMATS = {
    "json": ("application/json", export_json),
    "zip": ("application/zip", export_csv_zip),
}


def export_file(patient: Patient, *, fmt: str, now: datetime) -> ExportFile:
    """Everything held about `patient` as a file to download ("json" or "zip"); the export
    is recorded in the audit trail as the current actor's."""
    content_type, write = EXPORT_FORMATS[fmt]
    body = write(patient_export(patient, now=now))
    log_access(patient, what=f"export:{fmt}")
    return ExportFile(body, content_type, f"rehab-data-{patient.pk}-{now:%Y%m%d}.{fmt}")


# --- Anonymisation ------------------------------------------------------------------------

REMOVED = "[removed on anonymisation]"


@transaction.atomic
def anonymise_patient(*, patient: Patient, by: Any, reason: str, now: datetime) -> Patient:
    """Remove what identifies `patient`, keep their clinical history.

    Removed: name, username (replaced by `anonymised-<id>`), e-mail, phone, date of birth,
    password, API tokens, the calendar link and sign-in sessions, login-lockout records,
    stored API replies, their own notifications, and every free-text field written about them
    (diagnosis notes, skip reasons, loads typed in, flag resolution notes, revision reasons).
    Their name is also removed from their therapist's notifications. Kept: programmes and
    revisions (doses, phases), session logs, check-ins, questionnaire scores and flags, with
    their dates — the numbers a clinic's aggregate history needs. Refused if already done or
    no reason given."""
    if not reason.strip():
        raise DomainError("Say why (the request it answers).", fields={"reason": ["Required."]})
    patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
    if patient.anonymised_at is not None:
        raise DomainError("This patient is already anonymised.", code="already_anonymised")
    if getattr(by, "pk", None) == patient.user_id:
        raise DomainError("Ask the clinic to do this for you.", code="permission_denied")
    user = patient.user
    names = {n for n in (user.get_full_name(), user.get_username()) if n}
    old_username = user.get_username()

    user.username = f"anonymised-{str(patient.pk)[:8]}"
    user.first_name = user.last_name = user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    patient.date_of_birth = None
    patient.phone = ""
    patient.email_reminders = patient.push_reminders = patient.mobile_reminders = False
    patient.anonymised_at = now
    patient.save()

    Diagnosis.objects.filter(patient=patient).exclude(notes="").update(notes=REMOVED)
    SessionLog.objects.filter(patient=patient).exclude(skip_reason="").update(skip_reason=REMOVED)
    ExerciseLog.objects.filter(session__patient=patient).exclude(load="").update(load="")
    Flag.objects.filter(patient=patient).exclude(resolution_note="").update(resolution_note=REMOVED)
    # Revisions are otherwise never edited; a therapist's reasons may name the patient.
    revisions = ProgrammeRevision.objects.filter(programme__patient=patient)
    revisions.update(reason=REMOVED)
    revisions.exclude(override_reason="").update(override_reason=REMOVED)

    Notification.objects.filter(user=user).delete()
    PushSubscription.objects.filter(user=user).delete()
    Device.objects.filter(patient=patient).delete()
    mentions = Q()
    for name in names:
        mentions |= Q(title__contains=name) | Q(body__contains=name)
    # The therapist's notifications, and the clinic admins' escalations, name the patient.
    readers = Q(user=patient.therapist.user) | Q(kind=Notification.Kind.RED_FLAG_ESCALATION)
    for note in Notification.objects.filter(mentions).filter(readers):
        for name in names:
            note.title = note.title.replace(name, "an anonymised patient")
            note.body = note.body.replace(name, "an anonymised patient")
        note.save(update_fields=["title", "body"])

    AuthToken.objects.filter(user=user).delete()
    for device in (TOTPDevice, StaticDevice):  # two-step sign-in: their app's secret, codes
        device.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(patient=patient).delete()  # the feed stops at once
    IdempotencyKey.objects.filter(user=user).delete()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=old_username).delete()
    _end_sessions_of(user.pk)

    log_access(patient, what="anonymised", by_user=getattr(by, "pk", None), reason=reason.strip())
    return patient


def _end_sessions_of(user_id: int) -> None:
    """Delete the user's web sessions (their unusable password already invalidates them;
    this also removes the rows). Sessions are only readable by decoding each one."""
    for session in Session.objects.iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()


def patient_by_id(value: str) -> Patient:
    try:
        return Patient.objects.select_related("user").get(pk=UUID(value))
    except (ValueError, Patient.DoesNotExist):
        raise DomainError(f"No patient with id {value!r}.", code="not_found") from None
