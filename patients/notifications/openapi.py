"""The OpenAPI documentation of notifications and marking them read (`api.py` here): per view,
the `extend_schema` of each HTTP method (summary, tags, bodies, examples), attached with
`@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the shared error
responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from patients.notifications.serializers import MarkReadInput, MarkReadOutput
from rehab.api_schema import EXAMPLE_UUID, Methods

NOTIFICATIONS: Methods = {
    "get": extend_schema(
        summary="My notifications (newest first); ?unread=true for unread only",
        tags=["notifications"],
        examples=[
            OpenApiExample(
                "Reminder",
                value={
                    "id": EXAMPLE_UUID,
                    "kind": "session",
                    "title": "Time for your morning exercises",
                    "body": "",
                    "created_at": "2026-11-03T08:00:00Z",
                    "read_at": None,
                    "link": "/today/",
                    "flag_status": None,
                },
                response_only=True,
            )
        ],
    ),
}


MARK_NOTIFICATIONS_READ: Methods = {
    "post": extend_schema(
        summary="Mark notifications read (some, or all unread)",
        tags=["notifications"],
        request=MarkReadInput,
        responses=MarkReadOutput,
        examples=[
            OpenApiExample("Some", value={"ids": [EXAMPLE_UUID]}, request_only=True),
            OpenApiExample("All", value={}, request_only=True),
            OpenApiExample("Result", value={"marked": 1}, response_only=True),
        ],
    ),
}
