"""The patient's pages on a phone in a real browser (issue 15, requirement 6): the tab bar in
place of the top menu (and not on a desktop), each tab going where it says and marking itself,
the last button on Today clear of the bar, the missed / still-to-do states late in the day in
the patient's own zone, the More page and the branded 404; axe-core on each.

Screenshots for review go to tests/browser/screenshots/patient-shell-*.png."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.browser.checks import assert_no_axe_violations
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_csp import Watcher, sign_in
from tests.browser.test_journey import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS  # gitignored, for review
NEW_YORK = "America/New_York"
DAY = date(2026, 11, 2)  # a Monday
MORNING = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
LATE_EVENING = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)  # 23:00 in New York, still 2 Nov there


def _patient() -> Any:
    patient = factories.PatientFactory(time_zone=NEW_YORK, session_times=["08:00", "18:00"])
    factories.prescribe(patient, started_on=DAY)
    return patient


def _open(browser: Browser, viewport: Any, base: str, username: str) -> Watcher:
    """A signed-in browser at `viewport` that records any Content-Security-Policy violation."""
    phone = viewport == PHONE
    watcher = Watcher(browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone))
    sign_in(watcher, base, username)
    return watcher


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"patient-shell-{name}.png"))


def test_on_a_phone_the_tab_bar_replaces_the_top_menu_and_each_tab_marks_itself(
    live_server: Any, loaded_catalogue: None, browser: Browser
) -> None:
    base = live_server.url
    patient = _patient()
    with time_machine.travel(MORNING, tick=True):
        watcher = _open(browser, PHONE, base, patient.user.username)
        page = watcher.visit(base + reverse("today"))
        bar = page.locator("nav.tabbar")
        expect(bar).to_be_visible()
        expect(page.locator("header.site nav")).to_be_hidden()
        expect(page.locator("header.site .brand")).to_be_visible()
        # Fixed at the bottom of the screen; every tab at least 48 px each way, with a label.
        box = bar.bounding_box()
        assert box is not None
        assert abs(box["y"] + box["height"] - PHONE["height"]) < 1
        for name in ("Today", "Check-in", "Progress", "More"):
            tab = bar.get_by_role("link", name=name)
            tab_box = tab.bounding_box()
            assert tab_box is not None
            assert tab_box["width"] >= 48, (name, tab_box)
            assert tab_box["height"] >= 48, (name, tab_box)
        expect(bar.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
        assert_no_axe_violations(page, "Today on a phone")
        _shot(page, "phone-today-morning")

        # Scrolled to the end, the page's last line clears the bar; and the last button, brought
        # into view at the bottom of the screen, stops above the bar instead of under it.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        bar_box = bar.bounding_box()
        footer_box = page.locator("footer.site").bounding_box()
        assert bar_box is not None
        assert footer_box is not None
        assert footer_box["y"] + footer_box["height"] <= bar_box["y"], (footer_box, bar_box)
        page.evaluate("window.scrollTo(0, 0)")
        last = page.locator("main a.button, main button").last
        last.evaluate("e => e.scrollIntoView({block: 'end'})")  # as low as it can come
        last_box = last.bounding_box()
        assert last_box is not None
        assert last_box["y"] + last_box["height"] <= bar_box["y"], (last_box, bar_box)
        _shot(page, "phone-today-scrolled-to-the-end")

        for name, url, heading in [
            ("Check-in", "check_in", "Morning check-in"),
            ("Progress", "progress", "Your progress"),
            ("More", "more", "More"),
            ("Today", "today", "Today"),
        ]:
            bar.get_by_role("link", name=name).click()
            page.wait_for_url(base + reverse(url))
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            current = page.locator("nav.tabbar a[aria-current]")
            expect(current).to_have_count(1)
            expect(current).to_have_attribute("aria-current", "page")
            expect(current).to_contain_text(name)

        # More lists the rest; a page reached from it keeps More marked (not as "page").
        bar.get_by_role("link", name="More").click()
        more = page.locator("main")
        for name in ("My programme", "Questionnaire", "Reminders", "My data", "Notifications"):
            expect(more.get_by_role("link", name=re.compile(f"^{name}"))).to_be_visible()
        expect(more.get_by_role("link", name="Change my password")).to_be_visible()
        expect(more.get_by_role("button", name="Sign out")).to_be_visible()
        assert_no_axe_violations(page, "More on a phone")
        _shot(page, "phone-more")
        more.get_by_role("link", name=re.compile("^My programme")).click()
        expect(bar.get_by_role("link", name="More")).to_have_attribute("aria-current", "true")
        assert not watcher.violations()


def test_on_a_desktop_the_top_menu_stays_and_the_tab_bar_is_hidden(
    live_server: Any, loaded_catalogue: None, browser: Browser
) -> None:
    base = live_server.url
    patient = _patient()
    with time_machine.travel(MORNING, tick=True):
        watcher = _open(browser, DESKTOP, base, patient.user.username)
        page = watcher.visit(base + reverse("more"))
        expect(page.locator("nav.tabbar")).to_be_hidden()
        top = page.locator("header.site nav")
        expect(top).to_be_visible()
        expect(top.get_by_role("link", name="Today")).to_be_visible()
        assert_no_axe_violations(page, "More on a desktop")
        _shot(page, "desktop-more")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_late_in_the_evening_today_says_what_was_missed_and_what_is_still_to_do(
    live_server: Any, loaded_catalogue: None, browser: Browser, viewport: Any
) -> None:
    base = live_server.url
    patient = _patient()
    with time_machine.travel(MORNING, tick=True):
        page = _open(browser, viewport, base, patient.user.username).visit(base + reverse("today"))
        sessions = page.locator("section.session h3")
        expect(sessions.nth(0)).to_contain_text("Session 1")
        expect(sessions.nth(0)).to_contain_text("Due now")
        expect(sessions.nth(1)).to_contain_text("Still to do")
        expect(page.locator("#late")).to_have_count(0)
    with time_machine.travel(LATE_EVENING, tick=True):
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Monday 2 November")
        late = page.locator("#late")
        expect(late).to_be_visible()
        expect(late.get_by_role("heading")).to_have_text("Still to do today")
        expect(late.get_by_role("link", name="Session 1 (08:00)")).to_be_visible()
        expect(late.get_by_role("link", name="The morning check-in")).to_be_visible()
        # The session due now (18:00) comes first; the 08:00 one says it was missed.
        expect(sessions.nth(0)).to_contain_text("Session 2")
        expect(sessions.nth(0)).to_contain_text("Due now")
        expect(sessions.nth(1)).to_contain_text("Session 1")
        expect(sessions.nth(1)).to_contain_text("Missed, but you can still do it today")
        assert_no_axe_violations(page, "Today late in the evening")
        name = "phone" if viewport == PHONE else "desktop"
        page.screenshot(path=str(SHOTS / f"patient-shell-{name}-today-late.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_missing_page_is_the_branded_404_with_the_way_back(
    live_server: Any, loaded_catalogue: None, browser: Browser, viewport: Any
) -> None:
    base = live_server.url
    patient = _patient()
    watcher = _open(browser, viewport, base, patient.user.username)
    page = watcher.page
    response = page.goto(base + "/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We cannot find that page")
    expect(page.locator("header.site .brand")).to_be_visible()
    assert_no_axe_violations(page, "the 404 page")
    name = "phone" if viewport == PHONE else "desktop"
    _shot(page, f"{name}-404")
    page.locator("main").get_by_role("link", name="Back to Today").click()
    page.wait_for_url(base + reverse("today"))
    assert not watcher.violations()


def test_the_tab_bar_works_without_javascript(
    live_server: Any, loaded_catalogue: None, browser: Browser
) -> None:
    base = live_server.url
    patient = _patient()
    with time_machine.travel(MORNING, tick=True):
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
        )
        page = context.new_page()
        page.goto(base + reverse("login"))
        page.get_by_label("Username").fill(patient.user.username)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        bar = page.locator("nav.tabbar")
        expect(bar).to_be_visible()
        expect(page.locator("header.site nav")).to_be_hidden()
        bar.get_by_role("link", name="Progress").click()
        page.wait_for_url(base + reverse("progress"))
        expect(bar.get_by_role("link", name="Progress")).to_have_attribute("aria-current", "page")
