"""The calendar link on the Reminders page (issue 16): turn it on, see it once with its QR
code and a copy button, make a new one, turn it off."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from patients.models import CalendarFeed


def _link(page: str) -> str:
    match = re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"', page)
    assert match, "the page shows the link"
    return match.group(1)


def test_the_page_offers_to_turn_the_calendar_link_on(
    patient_client: Client, programme: Any
) -> None:
    page = patient_client.get(reverse("preferences")).content.decode()
    assert "Reminders in your phone's calendar" in page
    assert "Your calendar link is <strong>off</strong>" in page
    assert 'value="on">Turn on calendar link</button>' in page
    assert 'class="qr"' not in page  # no QR code until the link is on


def test_turning_it_on_shows_the_link_once_with_a_qr_code_and_copy_button(
    patient_client: Client, programme: Any
) -> None:
    cache.clear()
    response = patient_client.post(reverse("calendar_link"), {"action": "on"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"  # the page holds the secret
    page = response.content.decode()
    https = _link(page)
    webcal = "webcal://" + https.split("://", 1)[1]
    assert f'href="{webcal}"' in page
    assert re.search(r'<svg [^>]*class="qr"><title>QR code of your link</title><g ', page)
    assert 'data-copy="calendar-url"' in page
    assert "style=" not in page
    assert "<script>" not in page
    assert Client().get(https.removeprefix("http://testserver")).status_code == 200

    # Later visits say it is on, and when a calendar last read it, never the link itself.
    later = patient_client.get(reverse("preferences")).content.decode()
    assert "Your calendar link is <strong>on</strong>" in later
    assert "Your calendar last updated from it 20 Nov 2026, 09:00" in later
    assert https not in later
    assert 'class="qr"' not in later
    cache.clear()


def test_a_new_link_replaces_the_old_and_off_turns_it_off(
    patient_client: Client, programme: Any, patient: Any
) -> None:
    old = _link(patient_client.post(reverse("calendar_link"), {"action": "on"}).content.decode())
    new = _link(patient_client.post(reverse("calendar_link"), {"action": "new"}).content.decode())
    assert new != old
    assert Client().get(old.removeprefix("http://testserver")).status_code == 404
    response = patient_client.post(reverse("calendar_link"), {"action": "off"}, follow=True)
    assert "Your calendar link is off" in response.content.decode()
    assert not CalendarFeed.objects.filter(patient=patient).exists()
    assert Client().get(new.removeprefix("http://testserver")).status_code == 404
    cache.clear()


def test_only_a_patient_can_turn_a_calendar_link_on(
    therapist_client: Client, client: Client
) -> None:
    # Not a patient: the page is not there for them (as every patient page).
    assert therapist_client.post(reverse("calendar_link"), {"action": "on"}).status_code == 404
    assert client.post(reverse("calendar_link"), {"action": "on"}).status_code == 302  # sign in
    assert not CalendarFeed.objects.exists()


def test_the_calendar_buttons_take_only_a_post(patient_client: Client) -> None:
    assert patient_client.get(reverse("calendar_link")).status_code == 405
