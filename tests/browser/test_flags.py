"""Flags a clinician can act on, in a real browser at desktop and phone width (issue 17,
requirement 3): one worsening is one card with each rule's evidence; "Apply suggestion"
shows the easier versions with the reason already written, one click applies them and
resolves every finding of the card, and the programme page then shows the change."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from patients.models import Flag
from patients.people.services import create_therapist
from programmes.models import Programme
from tests import factories
from tests.browser.checks import assert_no_axe_violations
from tests.browser.test_journey import DESKTOP, PASSWORD, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_worsening_is_one_card_and_its_suggestion_applies_in_one_click(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    therapist = create_therapist(username="jo.therapist", password=PASSWORD, first_name="Jo")
    patient = factories.PatientFactory(
        therapist=therapist, user__first_name="Sam", user__last_name="Rivera"
    )
    programme = factories.prescribe(patient)
    before = {item.key: item.exercise.name for item in factories.current_items(programme)}
    for rule, source in (
        ("weekly_trend", "R5"),
        ("next_morning_above_baseline_repeated", "R5b"),
        ("pain_during_above_max", "R5"),
    ):
        factories.make_flag(
            patient, rule=rule, programme=programme, suggestion="Step back.", sources=[source]
        )

    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    sign_in(page, live_server.url, "jo.therapist", PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    cards = page.locator("article.flag")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card).to_contain_text("3 findings point the same way")
    expect(card.locator("ul.evidence > li")).to_have_count(3)
    expect(card).to_contain_text("Suggested: Step back.")
    screenshot(page, f"flag-card-{'phone' if phone else 'desktop'}")

    card.get_by_role("link", name="Apply suggestion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply the suggested step back")
    reason = page.get_by_label("Reason")
    expect(reason).to_have_value(re.compile(r"^Step back suggested by monitoring"))
    changes = page.locator("section.card").first.locator("li")
    assert changes.count() >= 1, "phase 1 of the mid-portion programme has easier versions"
    assert_no_axe_violations(page, "Apply suggestion")
    screenshot(page, f"flag-apply-{'phone' if phone else 'desktop'}")

    page.get_by_role("button", name="Apply and resolve the flag").click()
    expect(page).to_have_url(re.compile(rf"/programmes/{programme.pk}/"))
    fresh = Programme.objects.get(pk=programme.pk)  # its current revision is a new one
    after = {item.key: item.exercise.name for item in factories.current_items(fresh)}
    swapped = {key for key in before if before[key] != after[key]}
    assert swapped, "the suggestion swapped at least one exercise for its easier version"
    for key in swapped:
        expect(page.locator("main")).to_contain_text(after[key])
    assert set(Flag.objects.filter(patient=patient).values_list("status", flat=True)) == {
        "resolved"
    }

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("article.flag")).to_contain_text("Resolved by")
    expect(page.locator("article.flag").get_by_role("link", name="Apply suggestion")).to_have_count(
        0
    )
