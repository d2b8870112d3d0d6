"""The notifications page (the bell), for patients and therapists: each notification leads to
what it is about (opening it marks it read) and can be marked read one by one or all at once."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.notifications.push import subscribe, unsubscribe
from patients.notifications.selectors import (
    notification_link,
    notification_rows,
    notifications_for,
)
from patients.notifications.services import mark_notifications_read
from rehab.api import error_body
from rehab.exceptions import DomainError
from rehab.shortcuts import get_or_404
from rehab.views import member_required, patient_required


@member_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = notification_rows(request.user)
    return render(request, "patients/notifications.html", {"rows": rows, "nav": "notifications"})


@member_required
def notification_open(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Follow a notification to what it is about, marking it read on the way. Only one's own
    (another's is a 404); the target is checked again now, so one no longer visible (a
    patient moved to another therapist) leads back to the list."""
    note = get_or_404(notifications_for(request.user), pk)
    mark_notifications_read(user=request.user, ids=[note.pk], now=timezone.now())
    return redirect(notification_link(note, request.user) or _in_list(note.pk))


@member_required
@require_POST
def notification_read(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    note = get_or_404(notifications_for(request.user), pk)
    mark_notifications_read(user=request.user, ids=[note.pk], now=timezone.now())
    return redirect(_in_list(note.pk))


@member_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_notifications_read(user=request.user, ids=None, now=timezone.now())
    messages.success(request, "All notifications are marked as read.")
    return redirect("notifications")


def _in_list(pk: uuid.UUID) -> str:
    return f"{reverse('notifications')}#n-{pk}"


@patient_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """This browser's push subscription, as `PushSubscription.toJSON()` gives it (sent by
    push.js with the CSRF token): 201, or 400 with the field errors."""
    try:
        data = json.loads(request.body)
        keys = data.get("keys") or {}
        endpoint, p256dh, auth = data.get("endpoint"), keys.get("p256dh"), keys.get("auth")
    except (ValueError, AttributeError):
        return JsonResponse(error_body("invalid", "Send the subscription as JSON."), status=400)
    try:
        subscription = subscribe(
            user=request.user,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            device=device_name(request.headers.get("User-Agent", "")),
        )
    except DomainError as error:
        return JsonResponse(error_body(error.code, error.message, error.fields), status=400)
    return JsonResponse({"id": str(subscription.pk), "device": subscription.device}, status=201)


@patient_required
@require_POST
def push_unsubscribe(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    if unsubscribe(user=request.user, pk=pk):
        messages.success(request, "That device will get no more notifications.")
    return redirect("preferences")


def device_name(user_agent: str) -> str:
    """A name the patient recognises in their list of devices ("Chrome on Android")."""
    browsers = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"))
    systems = (
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Macintosh", "Mac"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in user_agent), "")
    if not browser and "Safari/" in user_agent:
        browser = "Safari"
    system = next((name for mark, name in systems if mark in user_agent), "")
    return " on ".join(part for part in (browser or "Browser", system) if part)
