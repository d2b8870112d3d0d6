"""The OpenAPI documentation of notifications, marking them read, and devices (`api.py`
here): per view, the `extend_schema` of each HTTP method (summary, tags, bodies, examples),
attached with `@extend_schema_view(**openapi.NAME)`. Nothing here runs on a request; the
shared error responses come from rehab/api_schema.py."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from patients.notifications.devices import MAX_DEVICES
from patients.notifications.serializers import (
    DeviceInput,
    DeviceOutput,
    LogoutInput,
    MarkReadInput,
    MarkReadOutput,
)
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


PUSH_DESCRIPTION = (
    "Register the push token your app got from Firebase Cloud Messaging (Android, `fcm`) or "
    "the Apple Push Notification service (iOS, `apns`), and the patient's reminders reach the "
    "app while it is closed, if the clinic has set that service up and the patient has not "
    "turned mobile push off (`mobile_reminders` in PATCH /me/). A push carries only a title "
    '("Time for your exercises") and `url`, the path of the notification it is about '
    "(`/notifications/<id>/`, which lists in GET /notifications/); never a name, a condition, "
    "a pain score or a dose. FCM sends `notification.title` and `data.url`; APNs "
    "`aps.alert.title` and `url`. A token the service says is no longer valid is removed."
)

DEVICE_EXAMPLE = {
    "id": EXAMPLE_UUID,
    "platform": "fcm",
    "name": "Pixel 8",
    "app_version": "2.3.1 (245)",
    "created_at": "2026-11-20T09:00:00Z",
    "last_seen_at": "2026-11-21T07:58:00Z",
    "last_pushed_at": "2026-11-21T08:00:02Z",
}

DEVICES: Methods = {
    "get": extend_schema(
        summary="My devices that get push notifications from the mobile apps",
        description=PUSH_DESCRIPTION,
        tags=["devices"],
        examples=[OpenApiExample("Android phone", value=DEVICE_EXAMPLE, response_only=True)],
    ),
    "post": extend_schema(
        summary="Register this device for push notifications (again, on every app start)",
        description=PUSH_DESCRIPTION
        + " Idempotent on the token: registering it again answers 200 with the same id and "
        "updates `app_version`, `name` and `last_seen_at`. A token another account had "
        "registered (a shared phone) is taken from it and registered here as a new device "
        "(201, a new id). Send a new token when the platform "
        f"gives you one. A patient keeps at most {MAX_DEVICES} devices: a new one past that "
        "replaces the one seen least recently.",
        tags=["devices"],
        request=DeviceInput,
        responses={
            201: OpenApiResponse(DeviceOutput, description="Registered."),
            200: OpenApiResponse(DeviceOutput, description="Already registered: updated."),
        },
        examples=[
            OpenApiExample(
                "Android",
                value={
                    "platform": "fcm",
                    "token": "dQw4w9WgXcQ:APA91bH…",
                    "app_version": "2.3.1 (245)",
                    "name": "Pixel 8",
                },
                request_only=True,
            ),
            OpenApiExample(
                "iPhone",
                value={"platform": "apns", "token": "7c9e…64 hex digits…", "app_version": "2.3.1"},
                request_only=True,
            ),
            OpenApiExample("Registered", value=DEVICE_EXAMPLE, response_only=True),
        ],
    ),
}

DEVICE: Methods = {
    "delete": extend_schema(
        summary="Stop push notifications to one of my devices",
        description="Another patient's device, or one already removed, is a 404. Logging "
        "out with `device_id` does the same and revokes the token.",
        tags=["devices"],
        responses={204: OpenApiResponse(description="Removed.")},
    ),
}

LOGOUT: Methods = {
    "post": extend_schema(
        summary="Log out this device (revoke the token used; optionally stop its pushes)",
        description="Revokes the token this request is sent with. Send `device_id` (or "
        "`device_token`) to remove this device's push registration too, so a phone that is "
        "logged out gets no more reminders; a device that is not yours is left alone. The "
        "body may be left out.",
        tags=["auth"],
        request=LogoutInput,
        responses={204: OpenApiResponse(description="Logged out.")},
        examples=[
            OpenApiExample(
                "And stop its pushes", value={"device_id": EXAMPLE_UUID}, request_only=True
            ),
            OpenApiExample("Token only", value={}, request_only=True),
        ],
    ),
}
