"""A therapist follows a red-flag notification to the flag (issue 17, requirement 4): the bell
links it, opening it lands on the flag on the patient's page, and it is shown read afterwards,
with the flag's current status."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from patients.models import Flag, Notification
from patients.monitoring.services import notify_flag
from patients.people.services import create_therapist
from tests import factories
from tests.browser.test_journey import DESKTOP, PASSWORD, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_red_flag_notification_leads_to_the_flag_and_is_read_after(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    therapist = create_therapist(username="jo.therapist", password=PASSWORD, first_name="Jo")
    patient = factories.PatientFactory(
        therapist=therapist, user__first_name="Alex", user__last_name="Morgan"
    )
    factories.prescribe(patient)
    flag = factories.make_flag(
        patient,
        kind=Flag.Kind.RED_FLAG,
        rule="red_flag:sudden_pop",
        severity=Flag.Severity.URGENT,
        evidence={"answer": "sudden_pop", "urgency": "urgent"},
    )
    notify_flag(flag=flag, now=factories.NOW)
    note = Notification.objects.get(flag=flag)

    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, live_server.url, "jo.therapist", PASSWORD)
    page.goto(f"{live_server.url}/notifications/")
    item = page.locator(f"#n-{note.pk}")
    expect(item).to_contain_text("New")
    expect(item).to_contain_text("Flag status: Open")
    screenshot(page, f"notifications-unread-{viewport['width']}")

    item.get_by_role("link", name=re.compile("reported a red flag")).click()
    expect(page).to_have_url(re.compile(f"/patients/{patient.pk}/#flag-{flag.pk}$"))
    expect(page.locator(f"#flag-{flag.pk}")).to_be_visible()
    expect(page.locator(f"#flag-{flag.pk}")).to_be_in_viewport()

    page.go_back()
    page.reload()
    item = page.locator(f"#n-{note.pk}")
    expect(item).not_to_contain_text("New")
    expect(item.get_by_role("button", name=re.compile("Mark read"))).to_have_count(0)
    expect(item).to_contain_text("Flag status: Open")
    screenshot(page, f"notifications-read-{viewport['width']}")
