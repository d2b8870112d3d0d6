"""HTTP shapes for the patients app: `...Input` checks a request body's shape and types,
`...Output` renders rows. Nothing here decides a rule (the services do), and nothing lets a
client set who a row belongs to: patient, therapist and programme come from the caller.

Device timestamps (`logged_at`) must carry a UTC offset (a naive time is a 400); they are
stored as instants and returned in the patient's own time zone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from patients.activity.selectors import SWELLING_QUESTION, Today
from patients.activity.services import ExerciseDone, Outcome
from patients.activity.sync import SyncItem
from patients.models import CheckIn, SessionLog
from patients.monitoring.selectors import known_urgency, urgency_heading
from patients.monitoring.serializers import PauseOutput
from patients.questionnaires.serializers import (
    QuestionnaireResponseInput,
    QuestionnaireResponseOutput,
)
from patients.schedule import SessionState
from programmes.models import IceHeatSlot, ProgrammeItem
from programmes.selectors import media_for
from programmes.serializers import IceHeatSlotOutput, ProgrammeItemOutput
from programmes.text import describe_dose
from programmes.vocab import Urgency
from rehab import limits
from rehab.api import InputSerializer, bounded, flatten_errors, has_unstorable_text
from rehab.api_fields import AwareDateTimeField, datetime_output
from rehab.exceptions import DomainError

# --- Fields -------------------------------------------------------------------------------


class RedFlagSlugField(serializers.CharField):
    """A red-flag slug; the schema's enum is every question a check-in can ask, read from the
    catalogue when the schema is made (openapi.RedFlagSlugFieldSchema). Which of them a
    patient may answer is their own check-in's list (GET /check-in/questions/), checked by
    the service."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)


def _nrs(**kwargs: Any) -> serializers.IntegerField:
    """A 0–10 numeric rating scale answer."""
    return serializers.IntegerField(min_value=0, max_value=10, **kwargs)


# --- Me -----------------------------------------------------------------------------------


# --- Session logs -------------------------------------------------------------------------


class ExerciseDoneInput(InputSerializer):
    item_key = serializers.UUIDField(help_text="The programme item's `key`.")
    sets_done = bounded(limits.DONE_SETS)
    reps_done = bounded(limits.DONE_REPS)
    hold_s_done = bounded(limits.DONE_HOLD_S)
    load = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    pain_during_nrs = _nrs(required=False, allow_null=True)


class SessionChangeInput(InputSerializer):
    """What a session held: done (with the exercises) or skipped (with a reason)."""

    status = serializers.ChoiceField(SessionLog.Status.choices, default=SessionLog.Status.DONE)
    skip_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    pain_after_nrs = _nrs(required=False, allow_null=True, default=None)
    exercises = ExerciseDoneInput(  # type: ignore[call-arg]
        many=True, required=False, default=list, max_length=50
    )
    logged_at = AwareDateTimeField(required=False, help_text="Device time, with its offset.")

    def validate_exercises(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [entry["item_key"] for entry in value]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("Each programme item may appear once.")
        return value


class SessionLogInput(SessionChangeInput):
    client_uuid = serializers.UUIDField(help_text="Generated on the device, once per record.")
    local_date = serializers.DateField(help_text="The patient's own date of the session.")
    slot = serializers.IntegerField(min_value=1, max_value=6, help_text="1 = first of the day.")


def session_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated session data as `record_session` keyword arguments."""
    values: dict[str, Any] = {
        "exercises": [ExerciseDone(**entry) for entry in data["exercises"]],
        "pain_after_nrs": data["pain_after_nrs"],
        "skipped": data["status"] == SessionLog.Status.SKIPPED,
        "skip_reason": data["skip_reason"],
    }
    for name in ("client_uuid", "local_date", "slot", "logged_at"):
        if name in data:
            values[name] = data[name]
    return values


class ExerciseLogOutput(serializers.Serializer):
    item_key = serializers.UUIDField()
    exercise = serializers.CharField(source="exercise.slug")
    target_sets = serializers.IntegerField(allow_null=True)
    target_reps = serializers.IntegerField(allow_null=True)
    target_hold_s = serializers.IntegerField(allow_null=True)
    sets_done = serializers.IntegerField(allow_null=True)
    reps_done = serializers.IntegerField(allow_null=True)
    hold_s_done = serializers.IntegerField(allow_null=True)
    load = serializers.CharField()
    pain_during_nrs = serializers.IntegerField(allow_null=True)


class SessionLogOutput(serializers.ModelSerializer):
    exercises = ExerciseLogOutput(many=True)
    logged_at = AwareDateTimeField()

    class Meta:
        model = SessionLog
        fields = [
            "id",
            "client_uuid",
            "programme",
            "local_date",
            "slot",
            "status",
            "skip_reason",
            "pain_after_nrs",
            "exercises",
            "logged_at",
            "created_at",
            "updated_at",
        ]


# --- Check-ins and questionnaires ---------------------------------------------------------


class CheckInInput(InputSerializer):
    client_uuid = serializers.UUIDField(help_text="Generated on the device, once per record.")
    local_date = serializers.DateField()
    morning_pain_nrs = _nrs()
    stiffness_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60)
    red_flags = serializers.ListField(
        child=RedFlagSlugField(),
        required=False,
        default=list,
        max_length=20,
        help_text="Slugs of the red-flag questions answered yes: only those of "
        "GET /check-in/questions/ (another slug is a 400).",
    )
    swelling = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The answer to Today's swelling_question; true pauses heat (not ice) while "
        "it is the latest answer. Null or absent: not asked.",
    )
    logged_at = AwareDateTimeField(required=False)


class CheckInOutput(serializers.ModelSerializer):
    # Plain strings out (no enum): a stored answer stays readable whatever the catalogue
    # becomes, and a client never fails to read a red flag it was sent.
    red_flags = serializers.ListField(child=serializers.CharField())
    logged_at = AwareDateTimeField()

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "client_uuid",
            "local_date",
            "morning_pain_nrs",
            "stiffness_minutes",
            "red_flags",
            "swelling",
            "logged_at",
            "created_at",
        ]


# --- Today --------------------------------------------------------------------------------


class PhaseSummaryOutput(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()


class DueSessionOutput(serializers.Serializer):
    slot = serializers.IntegerField()
    time = serializers.CharField(help_text='Reminder time "HH:MM" in the patient\'s zone.')
    state = serializers.ChoiceField(
        SessionState.choices,
        help_text="Where the session stands now, from the patient's own reminder times: "
        '`done` or `skipped` (logged); `upcoming` (its time has not come: "Still to do"); '
        "`due` (from its time until the patient's next reminder time, the last one until "
        'midnight: "Due now"); `missed` (not logged and the next reminder time has '
        'passed: "Missed, but you can still do it today"). A session without a time is '
        "`due` all day.",
    )
    items = ProgrammeItemOutput(many=True)
    log = SessionLogOutput(allow_null=True, help_text="What is already logged for this slot.")


class CheckInQuestionOutput(serializers.Serializer):
    slug = serializers.CharField(help_text="Send it in the check-in's red_flags when answered yes.")
    question = serializers.CharField(help_text="Patient-facing yes/no question.")


class CheckInQuestionAdviceOutput(serializers.Serializer):
    slug = serializers.CharField(
        help_text="Send it in the check-in's `red_flags` when answered yes."
    )
    question = serializers.CharField(help_text="The yes/no question, as the web page asks it.")
    urgency = serializers.ChoiceField(
        Urgency.choices, help_text="How soon to act on a yes: routine, soon, urgent, emergency."
    )
    urgency_rank = serializers.SerializerMethodField(
        help_text="0 (routine) to 3 (emergency): show the advice of the most urgent yes first."
    )
    urgency_label = serializers.SerializerMethodField(
        help_text='Shown before the advice, e.g. "Same day".'
    )
    heading = serializers.SerializerMethodField(
        help_text="The result's heading when this is the most urgent yes."
    )
    advice = serializers.CharField(help_text="What to do now, shown after a yes.")

    def get_urgency_rank(self, obj: Any) -> int:
        return known_urgency(obj.urgency).rank

    def get_urgency_label(self, obj: Any) -> str:
        return str(known_urgency(obj.urgency).label)

    def get_heading(self, obj: Any) -> str:
        return urgency_heading(obj.urgency)


class CheckInQuestionsOutput(serializers.Serializer):
    """The morning check-in as the web page asks it, with what to show after a yes."""

    questions = CheckInQuestionAdviceOutput(
        many=True, help_text="The red-flag questions, in the order to ask them."
    )
    swelling_question = serializers.CharField(
        help_text="Answer in the check-in's `swelling` (true pauses heat, not ice)."
    )
    answered_yes = serializers.CharField(
        help_text="Shown above the advice after any yes (the programme is paused)."
    )


class TodayOutput(serializers.Serializer):
    """What is due on the patient's own date (their time zone), and what is already logged."""

    local_date = serializers.DateField()
    programme = serializers.UUIDField(source="programme.pk", allow_null=True, default=None)
    phase = PhaseSummaryOutput(allow_null=True)
    week = serializers.IntegerField()
    sessions = DueSessionOutput(many=True, help_text="By slot.")
    current_slot = serializers.IntegerField(
        allow_null=True,
        help_text="The session to show first: the first one due now, else the next to come, "
        "else the first missed; null when all are logged (or while paused).",
    )
    late_in_day = serializers.BooleanField(
        help_text="At or after the patient's last reminder time today: say plainly what is "
        "still to do (the sessions not logged, the check-in if not done)."
    )
    ice_heat = IceHeatSlotOutput(many=True)
    check_in = CheckInOutput(allow_null=True)
    questionnaire = serializers.CharField()
    questionnaire_due = serializers.BooleanField()
    paused = PauseOutput(
        allow_null=True,
        help_text="Null unless a reported red flag has paused the programme (see PauseOutput).",
    )
    check_in_questions = CheckInQuestionOutput(
        many=True,
        help_text="The red-flag questions of the morning check-in (slug and wording); "
        "GET /check-in/questions/ gives them with the advice to show after a yes.",
    )
    swelling_question = serializers.SerializerMethodField(
        help_text="The check-in's swelling question (answer in the check-in's `swelling`)."
    )

    def get_swelling_question(self, obj: Any) -> str:
        return SWELLING_QUESTION

    def to_representation(self, instance: Today) -> dict[str, Any]:
        """The fields above, built by hand: through DRF's nested fields the day's JSON cost
        several times the day's read (issue 14). The same JSON, for a patient or a clinician,
        with or without a zone; tests/patients/activity/test_today.py checks it against the
        fields' own output."""
        day = instance
        for_patient = bool(self.context.get("for_patient"))
        condition = self.context.get("condition", "")
        zone = self.context.get("zone")
        phase, check_in, paused = day.phase, day.check_in, day.paused
        return {
            "local_date": day.local_date.isoformat(),
            "programme": None if day.programme is None else str(day.programme.pk),
            "phase": None if phase is None else {"position": phase.position, "name": phase.name},
            "week": day.week,
            "sessions": [
                {
                    "slot": session.slot,
                    "time": session.time,
                    "state": str(session.state),
                    "items": [_item_json(i, for_patient, condition) for i in session.items],
                    "log": None if session.log is None else _log_json(session.log, zone),
                }
                for session in day.sessions
            ],
            "current_slot": day.current_slot,
            "late_in_day": day.late_in_day,
            "ice_heat": [_slot_json(slot, for_patient) for slot in day.ice_heat],
            "check_in": None if check_in is None else _check_in_json(check_in, zone),
            "questionnaire": day.questionnaire,
            "questionnaire_due": day.questionnaire_due,
            "paused": None
            if paused is None
            else {
                "since": paused.since.isoformat(),
                "urgency": paused.urgency,
                "heading": paused.heading,
                "advice": [str(line) for line in paused.advice],
            },
            "check_in_questions": [
                {"slug": flag.slug, "question": flag.question} for flag in day.check_in_questions
            ],
            "swelling_question": SWELLING_QUESTION,
        }


def _local(value: datetime, zone: Any) -> Any:
    """`AwareDateTimeField`'s output: in the patient's zone when the context has one."""
    return value.astimezone(zone).isoformat() if zone is not None else datetime_output(value)


def _item_json(item: ProgrammeItem, for_patient: bool, condition: str) -> dict[str, Any]:
    """`ProgrammeItemOutput` (with `ItemExerciseOutput`) by hand."""
    exercise = item.exercise
    return {
        "key": str(item.key),
        "position": item.position,
        "exercise": {
            "slug": exercise.slug,
            "name": exercise.name,
            "category": exercise.category,
            "movement_tags": [str(tag) for tag in exercise.movement_tags],
            "instructions": [str(step) for step in exercise.instructions],
            "cautions": "" if for_patient else exercise.cautions,
            "patient_cautions": exercise.patient_cautions_for(condition),
            "media": media_for(exercise),
        },
        "sets": item.sets,
        "reps": item.reps,
        "reps_max": item.reps_max,
        "hold_s": item.hold_s,
        "times_per_day": item.times_per_day,
        "days_per_week": item.days_per_week,
        "load": item.load,
        "tempo": item.tempo,
        "rest_s": item.rest_s,
        "dose_notes": "" if for_patient else item.dose_notes,
        "override_reason": "" if for_patient else item.override_reason,
        "sources": [] if for_patient else [str(source) for source in item.sources],
        "dose_text": describe_dose(item),
    }


def _log_json(log: SessionLog, zone: Any) -> dict[str, Any]:
    """`SessionLogOutput` (with `ExerciseLogOutput`) by hand."""
    return {
        "id": str(log.pk),
        "client_uuid": str(log.client_uuid),
        "programme": str(log.programme_id),
        "local_date": log.local_date.isoformat(),
        "slot": log.slot,
        "status": log.status,
        "skip_reason": log.skip_reason,
        "pain_after_nrs": log.pain_after_nrs,
        "exercises": [
            {
                "item_key": str(entry.item_key),
                "exercise": entry.exercise.slug,
                "target_sets": entry.target_sets,
                "target_reps": entry.target_reps,
                "target_hold_s": entry.target_hold_s,
                "sets_done": entry.sets_done,
                "reps_done": entry.reps_done,
                "hold_s_done": entry.hold_s_done,
                "load": entry.load,
                "pain_during_nrs": entry.pain_during_nrs,
            }
            for entry in log.exercises.all()
        ],
        "logged_at": _local(log.logged_at, zone),
        "created_at": datetime_output(log.created_at),
        "updated_at": datetime_output(log.updated_at),
    }


def _slot_json(slot: IceHeatSlot, for_patient: bool) -> dict[str, Any]:
    """`IceHeatSlotOutput` by hand."""
    return {
        "modality": slot.modality,
        "max_minutes": slot.max_minutes,
        "min_gap_hours": slot.min_gap_hours,
        "times": [str(time) for time in slot.times],
        "from_day": slot.from_day,
        "to_day": slot.to_day,
        "safety_rules": [str(rule) for rule in slot.safety_rules],
        "sources": [] if for_patient else [str(source) for source in slot.sources],
    }


def _check_in_json(check_in: CheckIn, zone: Any) -> dict[str, Any]:
    """`CheckInOutput` by hand."""
    return {
        "id": str(check_in.pk),
        "client_uuid": str(check_in.client_uuid),
        "local_date": check_in.local_date.isoformat(),
        "morning_pain_nrs": check_in.morning_pain_nrs,
        "stiffness_minutes": check_in.stiffness_minutes,
        "red_flags": [str(slug) for slug in check_in.red_flags],
        "swelling": check_in.swelling,
        "logged_at": _local(check_in.logged_at, zone),
        "created_at": datetime_output(check_in.created_at),
    }


# --- Notifications ------------------------------------------------------------------------


# --- Offline sync -------------------------------------------------------------------------

SYNC_INPUTS: dict[str, type[serializers.Serializer]] = {
    "session": SessionLogInput,
    "check_in": CheckInInput,
    "questionnaire": QuestionnaireResponseInput,
}
SYNC_OUTPUTS: dict[str, type[serializers.Serializer]] = {
    "session": SessionLogOutput,
    "check_in": CheckInOutput,
    "questionnaire": QuestionnaireResponseOutput,
}


class SyncSessionRecord(SessionLogInput):
    type = serializers.ChoiceField(["session"])


class SyncCheckInRecord(CheckInInput):
    type = serializers.ChoiceField(["check_in"])


class SyncQuestionnaireRecord(QuestionnaireResponseInput):
    type = serializers.ChoiceField(["questionnaire"])


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="SyncRecord",
        serializers={
            "session": SyncSessionRecord,
            "check_in": SyncCheckInRecord,
            "questionnaire": SyncQuestionnaireRecord,
        },
        resource_type_field_name="type",
    )
)
class SyncRecordField(serializers.DictField):
    """One record of a batch, checked by its own type's serializer (`sync_item`), so that a
    bad record is reported in its result rather than failing the batch."""


class SyncInput(InputSerializer):
    checked_per_item = ("records",)  # each record is checked on its own (sync_item)

    records = serializers.ListField(
        child=SyncRecordField(),
        min_length=1,
        max_length=500,
        help_text='Up to 500 records, each {"type": "session" | "check_in" | '
        '"questionnaire", "client_uuid": ..., and the fields of that type\'s POST body}.',
    )


def sync_item(index: int, record: Mapping[str, Any]) -> SyncItem:
    """Check one batch record's shape with the same input serializer as its single POST."""
    kind = record.get("type")
    uuid_field = serializers.UUIDField()
    try:
        client_uuid: uuid.UUID | None = uuid_field.to_internal_value(record.get("client_uuid", ""))
    except serializers.ValidationError:
        client_uuid = None
    serializer_class = SYNC_INPUTS.get(kind) if isinstance(kind, str) else None
    if serializer_class is None:
        error = DomainError(
            "Unknown record type.",
            code="invalid",
            fields={"type": [f"Choose one of {', '.join(SYNC_INPUTS)}."]},
        )
        # Echoed in the result: never a lone surrogate (the response could not be encoded).
        echo = "" if has_unstorable_text(kind) else str(kind or "")[:64]
        return SyncItem(index, echo, client_uuid, error=error)
    body = {name: value for name, value in record.items() if name != "type"}
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        error = DomainError(
            "Please correct the highlighted fields.",
            code="invalid",
            fields=flatten_errors(serializer.errors),
        )
        return SyncItem(index, str(kind), client_uuid, error=error)
    data = dict(serializer.validated_data)
    values = session_values(data) if kind == "session" else data
    return SyncItem(index, str(kind), client_uuid, values=values)


class SyncResultOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in `records`.")
    client_uuid = serializers.UUIDField(allow_null=True)
    type = serializers.CharField(source="kind")
    status = serializers.ChoiceField(Outcome.choices)
    id = serializers.UUIDField(source="obj.pk", required=False)
    code = serializers.CharField(source="error.code", required=False)
    message = serializers.CharField(source="error.message", required=False)
    fields = serializers.DictField(  # type: ignore[assignment]
        source="error.fields",
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
    )
    reported_late = serializers.BooleanField(
        help_text="True for a check-in whose red flag arrived after the monitoring window "
        "(7 days) had passed its date: the flag is raised all the same, marked as reported "
        "late; tell the patient their clinician has been told."
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        optional = ("id", "code", "message", "fields")
        return {key: value for key, value in data.items() if key not in optional or value}


class SyncOutput(serializers.Serializer):
    results = SyncResultOutput(many=True)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    already_present = serializers.IntegerField()
    rejected = serializers.IntegerField()


# --- Therapist views ----------------------------------------------------------------------


class WeekPointOutput(serializers.Serializer):
    week = serializers.IntegerField()
    starts_on = serializers.DateField()
    pain_during = serializers.FloatField(allow_null=True, help_text="Mean of the week, 0–10.")
    pain_morning = serializers.FloatField(allow_null=True, help_text="Mean of the week, 0–10.")
    adherence = serializers.FloatField(allow_null=True, help_text="Percent.")
    score = serializers.FloatField(
        allow_null=True,
        help_text="The week's last total score; null for the FAAM, which has no total.",
    )
    subscales = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="The week's last subscale scores (FAAM adl, sports; %); null = not scorable.",
    )


class ProgressOutput(serializers.Serializer):
    questionnaire = serializers.CharField()
    weeks = WeekPointOutput(many=True)
