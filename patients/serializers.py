"""HTTP shapes for the patients app: `...Input` checks a request body's shape and types,
`...Output` renders rows. Nothing here decides a rule (the services do), and nothing lets a
client set who a row belongs to: patient, therapist and programme come from the caller.

Device timestamps (`logged_at`) must carry a UTC offset (a naive time is a 400); they are
stored as instants and returned in the patient's own time zone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.activity.selectors import SWELLING_QUESTION
from patients.activity.services import ExerciseDone
from patients.activity.sync import SyncItem
from patients.models import CheckIn, Flag, Notification, QuestionnaireResponse, SessionLog
from patients.models.people import validate_time_zone
from programmes.serializers import IceHeatSlotOutput, ProgrammeItemOutput, ProgrammeOutput
from programmes.vocab import Questionnaire, Urgency
from rehab import limits
from rehab.api import InputSerializer, bounded, flatten_errors, has_unstorable_text
from rehab.exceptions import DomainError

# --- Fields -------------------------------------------------------------------------------


# A device clock before this is wrong, and zones then had second-level offsets (LMT) that
# ISO 8601 / RFC 3339 cannot write.
EARLIEST_DEVICE_TIME = datetime(2000, 1, 1, tzinfo=UTC)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset in; out in the patient's zone (serializer context "zone")."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-11-03T08:15:00+00:00 or 2026-11-03T08:15:00Z.",
        "implausible": "Not a plausible device time (after 2000, at most a day ahead).",
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well-formed but impossible, e.g. 12:99
                self.fail("invalid", format="ISO 8601 with a UTC offset")
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result: datetime = super().to_internal_value(value)
        if not EARLIEST_DEVICE_TIME <= result <= timezone.now() + timedelta(days=1):
            self.fail("implausible")
        return result

    def to_representation(self, value: datetime) -> Any:
        zone = self.context.get("zone")
        if zone is not None and value is not None:
            return value.astimezone(zone).isoformat()
        return super().to_representation(value)


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "21:00"})
class HourMinuteField(serializers.Field):
    """A wall-clock time out as "HH:MM" (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value.strftime("%H:%M"))


def _nrs(**kwargs: Any) -> serializers.IntegerField:
    """A 0–10 numeric rating scale answer."""
    return serializers.IntegerField(min_value=0, max_value=10, **kwargs)


# --- Me -----------------------------------------------------------------------------------


class PatientProfileOutput(serializers.Serializer):
    id = serializers.UUIDField()
    time_zone = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    session_times = serializers.ListField(child=serializers.CharField())
    email_reminders = serializers.BooleanField()
    quiet_start = HourMinuteField(help_text='Start of quiet hours, "HH:MM" local.')
    quiet_end = HourMinuteField(help_text='End of quiet hours, "HH:MM" local.')
    daily_reminder_cap = serializers.IntegerField()
    therapist_name = serializers.CharField(source="therapist.__str__")


class MeOutput(serializers.Serializer):
    """The signed-in account; `patient` holds the profile and reminder preferences (null for
    a therapist)."""

    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField(help_text="May be empty.")
    role = serializers.ChoiceField(["patient", "therapist", "other"])
    patient = PatientProfileOutput(allow_null=True)


class MeUpdateInput(InputSerializer):
    """Reminder preferences; send only what changes."""

    time_zone = serializers.CharField(required=False, max_length=64, help_text="IANA name.")
    session_times = serializers.ListField(
        child=serializers.CharField(max_length=5),
        required=False,
        min_length=1,
        max_length=6,
        help_text='Local times "HH:MM".',
    )
    email_reminders = serializers.BooleanField(required=False)

    def validate_time_zone(self, value: str) -> str:
        return known_time_zone(value)


def known_time_zone(value: str) -> str:
    """An IANA zone name this machine knows (the model's own check), else a 400."""
    try:
        validate_time_zone(value)
    except DjangoValidationError:
        raise serializers.ValidationError(
            "Not a known time zone; use an IANA name such as Europe/London."
        ) from None
    return value


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
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=20,
        help_text="Slugs of the red-flag questions answered yes (GET /today/ lists the "
        "questions to ask: check_in_questions).",
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


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"nullable": True},
        "description": 'Item key → the choice value (a whole number), or "na" / null for '
        "“not applicable” where the item allows it.",
        "example": {"q1": 7, "q2": 6},
    }
)
class AnswersField(serializers.DictField):
    child = serializers.JSONField(allow_null=True)


class QuestionnaireResponseInput(InputSerializer):
    client_uuid = serializers.UUIDField(help_text="Generated on the device, once per record.")
    questionnaire = serializers.ChoiceField(Questionnaire.choices)
    local_date = serializers.DateField()
    answers = AnswersField()
    logged_at = AwareDateTimeField(required=False)

    def validate_answers(self, value: dict[str, Any]) -> dict[str, Any]:
        # Item keys are short ("q8_minutes_band"); an unknown key is named in the error, so
        # a huge or endless one is refused here rather than echoed back.
        if len(value) > MAX_ANSWERS or any(len(key) > 64 for key in value):
            raise serializers.ValidationError(
                f"At most {MAX_ANSWERS} answers, each keyed by a question's key."
            )
        return value


# More than the longest questionnaire (FAAM: 29 items).
MAX_ANSWERS = 100


class QuestionnaireResponseOutput(serializers.ModelSerializer):
    answers = AnswersField()
    score = serializers.FloatField(
        allow_null=True,
        help_text="The total (VISA-A of 100, LEFS of 80); null for the FAAM, which has none.",
    )
    subscales = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="FAAM: adl and sports, each a % or null when not scorable (too few answers).",
    )
    logged_at = AwareDateTimeField()

    class Meta:
        model = QuestionnaireResponse
        fields = [
            "id",
            "client_uuid",
            "questionnaire",
            "local_date",
            "answers",
            "score",
            "subscales",
            "logged_at",
            "created_at",
        ]


class ChoiceOutput(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]


class QuestionOutput(serializers.Serializer):
    """A choice item (`choices`) or a number item (`minimum`..`maximum` in `unit`)."""

    key = serializers.CharField()
    text = serializers.CharField()
    section = serializers.CharField()
    choices = ChoiceOutput(many=True)
    minimum = serializers.IntegerField(allow_null=True)
    maximum = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    allow_not_applicable = serializers.BooleanField()
    note = serializers.CharField(help_text="Plain guidance shown under the question; may be empty.")


class QuestionnaireOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    max_score = serializers.FloatField()
    higher_is_better = serializers.BooleanField()
    sources = serializers.ListField(child=serializers.CharField())
    instructions = serializers.ListField(
        child=serializers.CharField(), help_text="Plain paragraphs to show before the questions."
    )
    items = QuestionOutput(many=True)


# --- Today --------------------------------------------------------------------------------


class PhaseSummaryOutput(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()


class DueSessionOutput(serializers.Serializer):
    slot = serializers.IntegerField()
    time = serializers.CharField(help_text='Reminder time "HH:MM" in the patient\'s zone.')
    items = ProgrammeItemOutput(many=True)
    log = SessionLogOutput(allow_null=True, help_text="What is already logged for this slot.")


class PauseOutput(serializers.Serializer):
    """Why the programme is paused (F3): a red flag the patient reported that no clinician has
    resolved yet. While it lasts, `sessions` and `ice_heat` are empty, a session log is refused
    with 409 `programme_paused`, and only the check-in goes on."""

    since = serializers.DateField(
        help_text="The check-in date the first unresolved red flag was reported on."
    )
    urgency = serializers.ChoiceField(
        Urgency.choices, help_text="The most urgent of the unresolved red flags."
    )
    heading = serializers.CharField(
        help_text='What to do, by urgency, e.g. "Get medical help today" (show as the title).'
    )
    advice = serializers.ListField(
        child=serializers.CharField(), help_text="Each red flag's own advice, most urgent first."
    )


class CheckInQuestionOutput(serializers.Serializer):
    slug = serializers.CharField(help_text="Send it in the check-in's red_flags when answered yes.")
    question = serializers.CharField(help_text="Patient-facing yes/no question.")


class TodayOutput(serializers.Serializer):
    """What is due on the patient's own date (their time zone), and what is already logged."""

    local_date = serializers.DateField()
    programme = serializers.UUIDField(source="programme.pk", allow_null=True, default=None)
    phase = PhaseSummaryOutput(allow_null=True)
    week = serializers.IntegerField()
    sessions = DueSessionOutput(many=True)
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
        help_text="The red-flag questions of the morning check-in: those asked of everyone "
        "plus the patient's condition's own.",
    )
    swelling_question = serializers.SerializerMethodField(
        help_text="The check-in's swelling question (answer in the check-in's `swelling`)."
    )

    def get_swelling_question(self, obj: Any) -> str:
        return SWELLING_QUESTION


class MyProgrammeOutput(ProgrammeOutput):
    """The patient's own programme, with the pause (F3) so an app working offline from it
    stops offering sessions and ice/heat while a red flag is unresolved."""

    paused = PauseOutput(
        allow_null=True,
        help_text="Null unless a reported red flag has paused the programme (see PauseOutput).",
    )


# --- Notifications ------------------------------------------------------------------------


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "created_at", "read_at"]


class MarkReadInput(InputSerializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        allow_null=True,
        max_length=500,
        help_text="Omit (or null) to mark every unread notification read.",
    )


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many changed from unread to read.")


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


class SyncInput(InputSerializer):
    checked_per_item = ("records",)  # each record is checked on its own (sync_item)

    records = serializers.ListField(
        child=serializers.DictField(),
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
    status = serializers.ChoiceField(["created", "updated", "already_present", "rejected"])
    id = serializers.UUIDField(source="obj.pk", required=False)
    code = serializers.CharField(source="error.code", required=False)
    message = serializers.CharField(source="error.message", required=False)
    fields = serializers.DictField(  # type: ignore[assignment]
        source="error.fields",
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
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


class PatientSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")
    username = serializers.CharField(source="user.username")


class FlagSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "kind", "severity", "status", "message", "created_at"]


class FlagOutput(serializers.ModelSerializer):
    patient = PatientSummaryOutput()
    evidence = serializers.DictField()
    sources = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Flag
        fields = [
            "id",
            "patient",
            "programme",
            "kind",
            "severity",
            "status",
            "rule",
            "episode",
            "message",
            "evidence",
            "suggestion",
            "sources",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
        ]


class ResolveFlagInput(InputSerializer):
    note = serializers.CharField(max_length=5000, help_text="How it was resolved.")


class CaseloadRowOutput(serializers.Serializer):
    patient = PatientSummaryOutput()
    programme = serializers.UUIDField(source="programme.pk", allow_null=True, default=None)
    condition = serializers.CharField(
        source="programme.condition.name", allow_null=True, default=None
    )
    week = serializers.IntegerField(allow_null=True)
    phase = PhaseSummaryOutput(allow_null=True)
    adherence_7d = serializers.FloatField(allow_null=True, help_text="Percent, last 7 days.")
    latest_pain_nrs = serializers.IntegerField(allow_null=True)
    latest_pain_on = serializers.DateField(allow_null=True)
    open_flags = FlagSummaryOutput(many=True)


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


class PatientDetailOutput(serializers.Serializer):
    """A patient on the caller's caseload, with weekly trends, recent sessions and flags."""

    id = serializers.UUIDField(source="patient.id")
    name = serializers.CharField(source="patient.__str__")
    username = serializers.CharField(source="patient.user.username")
    email = serializers.CharField(source="patient.user.email", help_text="May be empty.")
    time_zone = serializers.CharField(source="patient.time_zone")
    date_of_birth = serializers.DateField(source="patient.date_of_birth", allow_null=True)
    programme = serializers.UUIDField(source="progress.programme.pk", allow_null=True, default=None)
    progress = ProgressOutput()
    recent_sessions = SessionLogOutput(many=True)
    open_flags = FlagSummaryOutput(many=True)


class PatientCreateInput(InputSerializer):
    """A new patient on the caller's caseload; without a password the account cannot log in
    until one is set."""

    username = serializers.CharField(max_length=150)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, default="Europe/London")
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=128, default=""
    )

    def validate_time_zone(self, value: str) -> str:
        return known_time_zone(value)
