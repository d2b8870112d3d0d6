"""A patient turns on their calendar link in a real browser (issue 16): the Reminders page
shows the link with its QR code, the copy button puts it on the clipboard (rehab.js, under the
CSP), and a calendar app can read the feed it names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, expect

from tests import factories
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.browser.test_journey import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_patient_turns_on_the_calendar_link_scans_or_copies_it(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    patient = factories.PatientFactory()
    factories.prescribe(patient)
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(patient.user.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/reminders/")
    section = page.locator("#calendar")
    expect(section).to_contain_text("Your calendar link is off")

    section.get_by_role("button", name="Turn on calendar link").click()
    expect(section.locator("svg.qr")).to_be_visible()
    box = section.locator("svg.qr").bounding_box()
    assert box is not None
    assert box["width"] >= 150  # large enough for a phone camera at arm's length
    link = section.get_by_label(re.compile("copy the link into Google Calendar")).input_value()
    assert link.startswith(f"{live_server.url}/calendar/")
    webcal = section.get_by_role("link", name="Add to my calendar")
    expect(webcal).to_have_attribute("href", "webcal://" + link.split("://", 1)[1])
    screenshot(page, f"calendar-link-{viewport['width']}")

    section.get_by_role("button", name="Copy link").click()
    expect(section.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    feed = page.request.get(link)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert Calendar.from_ical(feed.body()).walk("VEVENT")

    page.goto(f"{live_server.url}/reminders/")
    expect(section).to_contain_text("Your calendar link is on")
    expect(section.locator("svg.qr")).to_have_count(0)  # shown once: only its hash is kept
    assert page.evaluate("window.__cspViolations") == []
