"""The notifications page (the bell), for patients and therapists."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.notifications.selectors import notifications_for
from patients.notifications.services import mark_notifications_read
from rehab.views import member_required


@member_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = notifications_for(request.user)[:50]
    return render(request, "patients/notifications.html", {"items": items, "nav": "notifications"})


@member_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    mark_notifications_read(user=request.user, ids=None, now=timezone.now())
    messages.success(request, "All notifications are marked as read.")
    return redirect("notifications")
