"""My programme in a real browser, on a phone and a desktop: the patient reaches it from the
navigation, unfolds a later phase and an exercise's steps, and prints the handout in one click;
the therapist prints it from the programme page. Screenshots (and the handout's first page,
drawn by pdftoppm) go to tests/browser/screenshots/ for review."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_journey import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    pass_second_step(page, username)  # a therapist sets up an app, then types its code
    page.wait_for_load_state("networkidle")


def test_my_programme_on_a_phone_and_a_desktop_with_its_handout(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any
) -> None:
    base = live_server.url
    patient = factories.PatientFactory()
    programme = factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=3))

    for name, viewport, phone in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        page = context.new_page()
        sign_in(page, base, patient.user.username)
        # On a phone the tab bar's More leads to it; on a desktop the top menu has it.
        if phone:
            page.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
            page.locator("main").get_by_role("link", name="My programme").click()
        else:
            menu = page.get_by_role("navigation", name="Main")
            menu.get_by_role("link", name="My programme").click()
        expect(page.get_by_role("heading", name="My programme", level=1)).to_be_visible()
        current = page.locator("section.phase.is-current")
        expect(current).to_contain_text("You are here")
        expect(current.get_by_text("3 sets of 10–15, once a day, every day")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"my-programme-{name}.png"))

        # A later phase is folded; unfolding it shows its exercises and what moves it on.
        later = page.locator("section:has(#phase-2)")
        expect(later.get_by_text("Quick bouncing heel raises")).to_be_hidden()
        later.get_by_text("Show phase 2").click()
        expect(later.get_by_text("Quick bouncing heel raises")).to_be_visible()
        # An exercise's steps open from "How to do it".
        first = current.locator("li.exercise-entry").first
        first.get_by_text("How to do it").click()
        expect(first.locator("ol.steps li").first).to_be_visible()
        expect(page.get_by_role("heading", name="Stop and seek care")).to_be_visible()
        screenshot(page, f"my-programme-{name}-full")

        # One click to the handout: a PDF, never cached.
        link = page.get_by_role("link", name="Print or save as PDF")
        href = link.get_attribute("href")
        assert href == reverse("my_programme_handout")
        response = context.request.get(base + href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "no-store" in response.headers["cache-control"]
        assert response.body().startswith(b"%PDF-")
        context.close()

    # The therapist prints it from the programme page.
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, base, patient.therapist.user.username)
    page.goto(base + reverse("programme_adjust", args=[programme.pk]))
    link = page.get_by_role("link", name=re.compile("Print the patient's handout"))
    expect(link).to_be_visible()
    response = context.request.get(base + str(link.get_attribute("href")))
    assert response.status == 200
    pdf = response.body()
    context.close()

    if shutil.which("pdftoppm"):
        (SCREENSHOTS / "handout-from-therapist.pdf").write_bytes(pdf)
        subprocess.run(
            [
                *("pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile"),
                *(str(SCREENSHOTS / "handout-from-therapist.pdf"), str(SCREENSHOTS / "handout")),
            ],
            check=True,
        )
        assert (SCREENSHOTS / "handout.png").stat().st_size > 20_000
