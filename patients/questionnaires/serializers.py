"""The API's shapes for questionnaires (their questions) and a patient's responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import QuestionnaireResponse
from programmes.vocab import Questionnaire
from rehab.api import InputSerializer
from rehab.api_fields import AwareDateTimeField


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
