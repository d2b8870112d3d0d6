"""Issue 17, requirements 1 and 2 in a real browser at desktop and phone width: a new
prescription warns as soon as a patient with a programme is picked and leads through ending
it back to prescribing; after Preview the preview is in view and focused; a form sent back
with errors shows the error summary in view and focused, each link focusing its field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from patients.people.services import create_therapist
from programmes.models import Programme
from tests import factories
from tests.browser.test_journey import DESKTOP, PASSWORD, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _therapist_page(browser: Browser, base: str, viewport: Any) -> Page:
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    sign_in(page, base, "jo.therapist", PASSWORD)
    return page


def _cast() -> tuple[Any, Any]:
    therapist = create_therapist(username="jo.therapist", password=PASSWORD, first_name="Jo")
    on_programme = factories.PatientFactory(
        therapist=therapist, user__first_name="Sam", user__last_name="Rivera"
    )
    factories.prescribe(on_programme)
    new = factories.PatientFactory(
        therapist=therapist, user__first_name="Priya", user__last_name="Shah"
    )
    return on_programme, new


def _active_element_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


@VIEWPORTS
def test_picking_a_patient_on_a_programme_warns_and_leads_through_ending_it(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    on_programme, new = _cast()
    page = _therapist_page(browser, live_server.url, viewport)
    page.goto(f"{live_server.url}/programmes/new/?patient={new.pk}")
    notice = page.locator("#active-notice")
    expect(notice).not_to_contain_text("already has an active programme")

    # Picking the patient on a programme swaps the warning in at once (htmx), before any intake.
    page.get_by_label("Patient").select_option(str(on_programme.pk))
    expect(notice).to_contain_text("Sam Rivera already has an active programme")
    screenshot(page, f"therapist-active-notice-{viewport['width']}")

    notice.get_by_role("link", name=re.compile("End or discharge it")).click()
    expect(page.get_by_role("heading", name="End or discharge the programme")).to_be_visible()
    page.get_by_role("button", name="End the programme").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    summary.get_by_role("link", name="Why is it ending? Say why the programme is ending.").click()
    expect(page.get_by_label("Why is it ending?")).to_be_focused()
    page.get_by_label("Why is it ending?").fill("Discharged: goals met.")
    page.get_by_role("button", name="End the programme").click()

    expect(page.get_by_role("heading", name="New programme")).to_be_visible()
    expect(page.get_by_text("Programme ended; its reminders have stopped.")).to_be_visible()
    expect(page.get_by_label("Patient")).to_have_value(str(on_programme.pk))
    expect(notice).not_to_contain_text("already has an active programme")
    programme = Programme.objects.get(patient=on_programme)
    assert (programme.status, programme.ended_reason) == ("ended", "Discharged: goals met.")


@VIEWPORTS
def test_after_preview_the_preview_is_in_view_and_focused_with_prescribe_beside_it(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    _, new = _cast()
    page = _therapist_page(browser, live_server.url, viewport)
    page.goto(f"{live_server.url}/programmes/new/?patient={new.pk}")
    page.get_by_label("Diagnosis").select_option("achilles_midportion")
    page.get_by_label("Right").check()
    page.get_by_label("Onset").select_option("chronic")
    page.get_by_label("Age (years)").fill("44")
    page.locator("#id_swelling_1").check()
    page.locator("#id_recent_injury_1").check()
    page.get_by_role("button", name="Preview the programme").click()

    heading = page.get_by_role("heading", name=re.compile("^Preview: Achilles"))
    expect(heading).to_be_in_viewport()
    assert _active_element_id(page) == "preview"
    prescribe = page.locator("#preview .heading-row").get_by_role("button", name="Prescribe")
    expect(prescribe).to_be_in_viewport()
    expect(page.get_by_label("Age (years)")).to_be_hidden()  # the intake is folded away
    screenshot(page, f"therapist-preview-{viewport['width']}")

    prescribe.click()
    expect(page.get_by_text("Programme prescribed")).to_be_visible()


@VIEWPORTS
def test_a_bad_dose_shows_the_error_summary_in_view_focused_with_links_to_the_fields(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    on_programme, _ = _cast()
    programme = Programme.objects.get(patient=on_programme)
    page = _therapist_page(browser, live_server.url, viewport)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    page.get_by_role("link", name="Change dose of Heel raise on both feet, on the floor").click()
    panel = page.locator("#adjust-dose")
    expect(panel.get_by_label("Sets")).to_have_value("3")  # the current dose, pre-filled
    expect(panel).to_contain_text("was 3")
    panel.get_by_label("Sets").fill("99")
    panel.locator("#id_dose-reps").fill("-3")
    panel.get_by_role("button", name="Change a dose").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)  # sets, reps and the missing reason
    links.nth(0).click()
    expect(page.locator("#id_dose-sets")).to_be_focused()
    expect(page.locator("#id_dose-sets")).to_be_in_viewport()
    links.nth(2).click()
    expect(page.locator("#id_dose-reason")).to_be_focused()
    screenshot(page, f"therapist-dose-errors-{viewport['width']}")


@VIEWPORTS
def test_the_programme_page_reaches_an_adjustment_without_scrolling_past_the_programme(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    """Compact on a phone (requirement 6): the "Adjust:" links sit above the programme and
    unfold the panel they lead to; only the current phase is open; nothing scrolls sideways."""
    on_programme, _ = _cast()
    programme = Programme.objects.get(patient=on_programme)
    page = _therapist_page(browser, live_server.url, viewport)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    jump = page.get_by_role("navigation", name="Adjust this programme")
    expect(jump).to_be_in_viewport()
    jump.get_by_role("link", name="Swap an exercise").click()
    panel = page.locator("#adjust-swap")
    expect(panel).to_have_attribute("open", "")
    expect(panel.locator("summary")).to_be_in_viewport()  # the page went to it
    current = programme.current_revision.current_phase
    expect(page.locator(f"#phase-{current}-card")).to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    name = "phone" if viewport == PHONE else "desktop"
    screenshot(page, f"therapist-programme-compact-{name}")
