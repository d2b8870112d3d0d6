"""The shape of the JSON export (`services.patient_export`), for the OpenAPI schema only: the
export itself is built by hand, and tests/patients/privacy checks the two agree."""

from __future__ import annotations

from rest_framework import serializers

from patients.activity.serializers import ExerciseLogOutput
from patients.models import Device
from programmes.serializers import DoseOutput


class ExportPatientOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    time_zone = serializers.CharField()
    session_times = serializers.ListField(child=serializers.CharField())
    email_reminders = serializers.BooleanField()
    push_reminders = serializers.BooleanField()
    mobile_reminders = serializers.BooleanField()
    quiet_start = serializers.CharField(help_text='"HH:MM:SS" in the patient\'s zone.')
    quiet_end = serializers.CharField(help_text='"HH:MM:SS" in the patient\'s zone.')
    therapist = serializers.CharField(help_text="The therapist's name.")
    joined = serializers.DateTimeField()


class ExportDiagnosisOutput(serializers.Serializer):
    id = serializers.UUIDField()
    condition = serializers.CharField()
    condition_name = serializers.CharField()
    side = serializers.CharField()
    made_on = serializers.DateField()
    intake = serializers.DictField(help_text="The intake as the clinician gave it.")
    notes = serializers.CharField()


class ExportItemOutput(DoseOutput):
    exercise = serializers.CharField(help_text="The exercise's slug.")
    name = serializers.CharField()


class ExportPhaseOutput(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    start_week = serializers.IntegerField()
    end_week = serializers.IntegerField(allow_null=True)
    items = ExportItemOutput(many=True)


class ExportRevisionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    reason = serializers.CharField()
    summary = serializers.CharField()
    override_reason = serializers.CharField()
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField()
    current_phase = serializers.IntegerField()
    phases = ExportPhaseOutput(many=True)


class ExportProgrammeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    condition = serializers.CharField()
    condition_name = serializers.CharField()
    protocol = serializers.CharField()
    side = serializers.CharField()
    status = serializers.CharField()
    started_on = serializers.DateField()
    prescribed_by = serializers.CharField()
    revisions = ExportRevisionOutput(many=True)


class ExportExerciseEntryOutput(ExerciseLogOutput):
    """An exercise entry as the API gives it, without the programme item's key, the exercise
    by its slug (the export is built from plain values)."""

    item_key = None  # type: ignore[assignment]
    exercise = serializers.CharField()


class ExportSessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    programme = serializers.UUIDField()
    local_date = serializers.DateField()
    slot = serializers.IntegerField()
    status = serializers.CharField()
    skip_reason = serializers.CharField()
    pain_after_nrs = serializers.IntegerField(allow_null=True)
    logged_at = serializers.DateTimeField()
    exercises = ExportExerciseEntryOutput(many=True)


class ExportCheckInOutput(serializers.Serializer):
    id = serializers.UUIDField()
    local_date = serializers.DateField()
    morning_pain_nrs = serializers.IntegerField()
    stiffness_minutes = serializers.IntegerField()
    red_flags = serializers.ListField(child=serializers.CharField())
    swelling = serializers.BooleanField(allow_null=True)
    logged_at = serializers.DateTimeField()


class ExportQuestionnaireOutput(serializers.Serializer):
    id = serializers.UUIDField()
    questionnaire = serializers.CharField()
    local_date = serializers.DateField()
    score = serializers.FloatField(allow_null=True)
    subscales = serializers.DictField(child=serializers.FloatField(allow_null=True))
    answers = serializers.DictField()
    logged_at = serializers.DateTimeField()


class ExportFlagOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    severity = serializers.IntegerField()
    status = serializers.CharField()
    rule = serializers.CharField()
    episode = serializers.CharField()
    message = serializers.CharField()
    evidence = serializers.DictField()
    suggestion = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    raised_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution_note = serializers.CharField()


class ExportPushDeviceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    device = serializers.CharField(help_text='The browser, e.g. "Chrome on Android".')
    added = serializers.DateTimeField()
    last_pushed_at = serializers.DateTimeField(allow_null=True)


class ExportAppDeviceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    name = serializers.CharField()
    app_version = serializers.CharField()
    added = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    last_pushed_at = serializers.DateTimeField(allow_null=True)


class ExportOutput(serializers.Serializer):
    format_version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    patient = ExportPatientOutput()
    diagnoses = ExportDiagnosisOutput(many=True)
    programmes = ExportProgrammeOutput(many=True)
    session_logs = ExportSessionOutput(many=True)
    check_ins = ExportCheckInOutput(many=True)
    questionnaire_responses = ExportQuestionnaireOutput(many=True)
    flags = ExportFlagOutput(many=True)
    push_devices = ExportPushDeviceOutput(
        many=True, help_text="The browsers that get web push (not their push addresses or keys)."
    )
    app_devices = ExportAppDeviceOutput(
        many=True, help_text="The mobile apps registered for push (not their push tokens)."
    )
