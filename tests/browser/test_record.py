"""The patient's record in a real browser (issue 17, requirement 5), at desktop and phone width:
the phone number is a tap-to-call link and can be corrected in place, the Diagnosis and intake
card shows the notes and every answer, and a source id on the programme page leads to its
citation on the references page, which a patient cannot open."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from patients.people.services import create_therapist
from programmes.models import Source
from tests import factories
from tests.browser.test_journey import DESKTOP, PASSWORD, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_no_sideways_scroll(page: Page, viewport: dict[str, int]) -> None:
    """The long intake questions and citation links wrap instead of widening the page."""
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_record_card_calls_the_patient_and_shows_the_intake_and_notes(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    therapist = create_therapist(username="jo.therapist", password=PASSWORD, first_name="Jo")
    patient = factories.PatientFactory(
        therapist=therapist, user__first_name="Alex", user__last_name="Morgan"
    )
    programme = factories.prescribe(patient)
    programme.diagnosis.notes = "Keen to return to parkrun."
    programme.diagnosis.save()

    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, live_server.url, "jo.therapist", PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    # No phone yet: add one, with a mistake first (the error beside the field, in place).
    page.get_by_text("Change the phone number or e-mail").click()
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.locator("#contact")).to_have_attribute("open", "")
    expect(page.locator("#contact")).to_contain_text("Enter a phone number")
    page.get_by_label("Phone").fill("+44 7700 900123")
    page.get_by_role("button", name="Save contact details").click()
    call = page.get_by_role("link", name="+44 7700 900123")
    expect(call).to_have_attribute("href", "tel:+447700900123")
    expect(call).to_be_in_viewport()

    card = page.locator("#intake")
    expect(card.get_by_role("heading", name="Diagnosis and intake")).to_be_visible()
    expect(card).to_contain_text("Keen to return to parkrun.")
    card.get_by_text("Every intake answer").click()
    expect(card.locator("dt", has_text="Swelling")).to_be_visible()
    expect(card).not_to_contain_text("achilles_midportion")
    assert_no_sideways_scroll(page, viewport)
    screenshot(page, f"record-card-{viewport['width']}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_source_id_leads_to_its_citation_and_a_patient_cannot_follow(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    therapist = create_therapist(username="jo.therapist", password=PASSWORD, first_name="Jo")
    patient = factories.PatientFactory(therapist=therapist, user__username="alex.morgan")
    patient.user.set_password(PASSWORD)
    patient.user.save()
    programme = factories.prescribe(patient)

    page = browser.new_context(viewport=viewport).new_page()
    sign_in(page, live_server.url, "jo.therapist", PASSWORD)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    expect(page.get_by_role("heading", name="How phases advance")).to_be_visible()
    inference = page.locator("#advancing a.source.inference").first
    expect(inference).to_have_attribute("title", re.compile("needs clinician sign-off"))

    page.locator("a.source", has_text=re.compile(r"^R6$")).first.click()
    expect(page).to_have_url(re.compile(r"/references/#R6$"))
    row = page.locator("tr#R6")
    expect(row).to_be_in_viewport()
    expect(row).to_contain_text(Source.objects.get(code="R6").citation[:40])
    assert_no_sideways_scroll(page, viewport)
    screenshot(page, f"references-{viewport['width']}")

    patient_page = browser.new_context(viewport=viewport).new_page()
    sign_in(patient_page, live_server.url, "alex.morgan", PASSWORD)
    response = patient_page.goto(f"{live_server.url}/references/")
    assert response is not None
    assert response.status == 404
    expect(patient_page.locator("body")).not_to_contain_text("Silbernagel")
