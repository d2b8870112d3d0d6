"""The notifications page (the bell), for patients and therapists: each notification leads to
what it is about (opening it marks it read) and can be marked read one by one or all at once."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.notifications.selectors import (
    notification_link,
    notification_rows,
    notifications_for,
)
from patients.notifications.services import mark_notifications_read
from rehab.shortcuts import get_or_404
from rehab.views import member_required


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
