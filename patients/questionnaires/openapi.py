"""The OpenAPI documentation of questionnaires and a patient's responses (`api.py` here): per
view, the `extend_schema` of each HTTP method (summary, tags, bodies, examples), attached
with `@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.questionnaires.serializers import (
    QuestionnaireOutput,
    QuestionnaireResponseInput,
    QuestionnaireResponseOutput,
)
from rehab.api_schema import CONFLICT, EXAMPLE_UUID, Methods

RESPONSE_EXAMPLE = {
    "client_uuid": "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "questionnaire": "lefs",
    "local_date": "2026-11-08",
    "answers": {f"a{n}": 3 for n in range(1, 21)},
    "logged_at": "2026-11-08T10:00:00+01:00",
}


RESPONSE_OUTPUT_EXAMPLE = {**RESPONSE_EXAMPLE, "id": EXAMPLE_UUID, "score": 60.0, "subscales": {}}


QUESTIONNAIRES: Methods = {
    "get": extend_schema(
        summary="Questionnaire definitions (VISA-A, LEFS, FAAM): items and answer choices",
        tags=["questionnaires"],
        examples=[
            OpenApiExample(
                "VISA-A (first item)",
                value={
                    "slug": "visa_a",
                    "name": "VISA-A",
                    "max_score": 100,
                    "higher_is_better": True,
                    "sources": ["R13"],
                    "items": [
                        {
                            "key": "q1",
                            "text": "…",
                            "section": "",
                            "choices": [{"value": 0, "label": "100 minutes or more"}],
                            "minimum": None,
                            "maximum": None,
                            "unit": "",
                            "allow_not_applicable": False,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    ),
}


QUESTIONNAIRE: Methods = {
    "get": extend_schema(
        summary="One questionnaire definition",
        tags=["questionnaires"],
        responses=QuestionnaireOutput,
        examples=[
            OpenApiExample(
                "LEFS",
                value={"slug": "lefs", "name": "LEFS", "max_score": 80, "items": []},
            )
        ],
    ),
}


QUESTIONNAIRE_RESPONSES: Methods = {
    "get": extend_schema(
        summary="List my questionnaire responses with their scores (newest first)",
        tags=["questionnaires"],
        examples=[OpenApiExample("Scored", value=RESPONSE_OUTPUT_EXAMPLE, response_only=True)],
    ),
    "post": extend_schema(
        summary="Answer a questionnaire; the response carries its score (idempotent)",
        tags=["questionnaires"],
        request=QuestionnaireResponseInput,
        responses={
            201: QuestionnaireResponseOutput,
            200: QuestionnaireResponseOutput,
            409: CONFLICT,
        },
        examples=[OpenApiExample("LEFS", value=RESPONSE_EXAMPLE, request_only=True)],
    ),
}


QUESTIONNAIRE_RESPONSE: Methods = {
    "get": extend_schema(
        summary="One of my questionnaire responses",
        tags=["questionnaires"],
        examples=[OpenApiExample("Scored", value=RESPONSE_OUTPUT_EXAMPLE)],
    ),
}
