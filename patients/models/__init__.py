"""The patients app's models, one module per capability (wger-style). Django finds them here,
and the rest of the code may import them from `patients.models` or from their module."""

from patients.models.activity import CheckIn, ExerciseLog, QuestionnaireResponse, SessionLog
from patients.models.calendar import CalendarFeed
from patients.models.flags import Flag
from patients.models.notifications import Device, Notification, PushSubscription
from patients.models.people import (  # the two functions: migrations name them here
    Diagnosis,
    Patient,
    Therapist,
    default_session_times,
    validate_phone,
    validate_time_zone,
)
from patients.models.reminders import Reminder, ReminderPlan

__all__ = [
    "CalendarFeed",
    "CheckIn",
    "Device",
    "Diagnosis",
    "ExerciseLog",
    "Flag",
    "Notification",
    "Patient",
    "PushSubscription",
    "QuestionnaireResponse",
    "Reminder",
    "ReminderPlan",
    "SessionLog",
    "Therapist",
    "default_session_times",
    "validate_phone",
    "validate_time_zone",
]
