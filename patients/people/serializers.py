"""The API's shapes for people: the signed-in user, a therapist's caseload and a patient's
record, a new patient."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.activity.serializers import PhaseSummaryOutput, ProgressOutput, SessionLogOutput
from patients.models.people import PHONE_HELP, validate_time_zone
from patients.monitoring.serializers import FlagSummaryOutput, PatientSummaryOutput
from patients.people.forms import phone_field
from patients.people.selectors import CaseloadRow
from rehab.api import InputSerializer
from rehab.api_fields import HourMinuteField, HourMinuteInputField, datetime_output


@extend_schema_field({"type": "string", "maxLength": 20, "description": PHONE_HELP})
class PhoneInputField(serializers.CharField):
    """A phone number checked by the web form's own field (people/forms.py `phone_field`):
    the same rule, messages and normalisation (surrounding spaces removed); may be blank."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return str(phone_field().clean(value))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class PatientProfileOutput(serializers.Serializer):
    id = serializers.UUIDField()
    time_zone = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    session_times = serializers.ListField(
        child=HourMinuteInputField(), help_text='Local times "HH:MM", sorted.'
    )
    email_reminders = serializers.BooleanField(help_text="Reminders by e-mail too.")
    push_reminders = serializers.BooleanField(
        help_text="Reminders as web push to the browsers the patient turned it on in."
    )
    mobile_reminders = serializers.BooleanField(
        help_text="Reminders as push notifications to the mobile apps registered at /devices/."
    )
    quiet_start = HourMinuteField(help_text='Start of quiet hours, "HH:MM" local.')
    quiet_end = HourMinuteField(help_text='End of quiet hours, "HH:MM" local.')
    daily_reminder_cap = serializers.IntegerField()
    therapist_name = serializers.CharField(source="therapist.__str__")
    calendar_link = serializers.SerializerMethodField(
        help_text="Whether the private calendar link is on (turn it on, renew it or off at "
        "/api/v1/me/calendar/)."
    )

    def get_calendar_link(self, patient: Any) -> bool:
        return hasattr(patient, "calendar_feed")  # the reverse one-to-one: a row or not


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
        child=HourMinuteInputField(),
        required=False,
        min_length=1,
        max_length=6,
        help_text='Local times "HH:MM".',
    )
    email_reminders = serializers.BooleanField(
        required=False, help_text="Reminders by e-mail too (to the account's address)."
    )
    push_reminders = serializers.BooleanField(
        required=False, help_text="Reminders as web push, in each browser turned on for it."
    )
    mobile_reminders = serializers.BooleanField(
        required=False, help_text="Reminders as push notifications to the registered apps."
    )

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

    def to_representation(self, instance: CaseloadRow) -> dict[str, Any]:
        """The fields above, built by hand: a page of 100 rows through DRF's fields costs
        several times the read itself (issue 14). The same JSON, checked against the fields'
        own output in tests/patients/people/test_caseload.py."""
        row, programme, phase = instance, instance.programme, instance.phase
        patient = row.patient
        return {
            "patient": {
                "id": str(patient.pk),
                "name": str(patient),
                "username": patient.user.username,
            },
            "programme": None if programme is None else str(programme.pk),
            "condition": None if programme is None else programme.condition.name,
            "week": row.week,
            "phase": None if phase is None else {"position": phase.position, "name": phase.name},
            "adherence_7d": None if row.adherence_7d is None else float(row.adherence_7d),
            "latest_pain_nrs": row.latest_pain_nrs,
            "latest_pain_on": None
            if row.latest_pain_on is None
            else row.latest_pain_on.isoformat(),
            "open_flags": [
                {
                    "id": flag.id,
                    "kind": flag.kind,
                    "severity": flag.severity,
                    "status": flag.status,
                    "message": flag.message,
                    "created_at": datetime_output(flag.created_at),
                }
                for flag in row.open_flags
            ],
        }


class PatientDetailOutput(serializers.Serializer):
    """A patient on the caller's caseload, with weekly trends, recent sessions and flags."""

    id = serializers.UUIDField(source="patient.id")
    name = serializers.CharField(source="patient.__str__")
    username = serializers.CharField(source="patient.user.username")
    email = serializers.CharField(source="patient.user.email", help_text="May be empty.")
    phone = serializers.CharField(source="patient.phone", help_text="May be empty.")
    time_zone = serializers.CharField(source="patient.time_zone")
    date_of_birth = serializers.DateField(source="patient.date_of_birth", allow_null=True)
    programme = serializers.UUIDField(source="progress.programme.pk", allow_null=True, default=None)
    progress = ProgressOutput()
    recent_sessions = SessionLogOutput(many=True)
    open_flags = FlagSummaryOutput(many=True)


class PatientContactInput(InputSerializer):
    """How the clinic reaches the patient, as the patient page's contact form: send only what
    changes."""

    phone = PhoneInputField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)


class PatientCreateInput(InputSerializer):
    """A new patient on the caller's caseload; without a password the account cannot log in
    until one is set."""

    username = serializers.CharField(max_length=150)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = PhoneInputField(required=False, default="")
    time_zone = serializers.CharField(max_length=64, required=False, default="Europe/London")
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=128, default=""
    )

    def validate_time_zone(self, value: str) -> str:
        return known_time_zone(value)
