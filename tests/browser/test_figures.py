"""Exercise figures in a real browser (issue 15): on a phone, Today shows each exercise's
figure with its alt text, every figure image loads (an SVG the browser could not parse would
have no size), it is large enough to read, and the Content-Security-Policy reports nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from programmes.figure_files import drawn_figures
from tests import factories
from tests.browser.test_csp import Watcher, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_today_on_a_phone_shows_every_figure_with_alt_text_and_no_csp_violation(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any
) -> None:
    base = live_server.url
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=3))
    phone = Watcher(
        browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
    )
    sign_in(phone, base, patient.user.username)
    page = phone.visit(base + reverse("today"))
    exercises = page.locator("details.exercise")
    assert exercises.count() >= 2
    alts = {figure.alt for figure in drawn_figures().values()}
    for index in range(exercises.count()):
        exercise = exercises.nth(index)
        exercise.locator("summary").click()
        figure = exercise.locator("figure.exercise-figure img")
        expect(figure).to_be_visible()
        assert figure.get_attribute("alt") in alts
        # Loaded and parsed (an unparsable SVG has no natural size), and at least 300 CSS px
        # wide on a 390 px phone: large enough to read the movement.
        loaded = figure.evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, f"figure {index} did not load"
        assert figure.bounding_box()["width"] >= 300  # type: ignore[index]
        thumb = exercise.locator("summary img.figure-thumb")
        assert thumb.get_attribute("alt") == ""
        assert thumb.evaluate("img => img.naturalWidth > 0")
    screenshot(page, "today_figures_phone")
    assert phone.violations() == []

    page = phone.visit(base + reverse("log_session", args=[1]))
    for img in page.locator("figure.exercise-figure img").all():
        assert img.evaluate("img => img.complete && img.naturalWidth > 0")
    assert phone.violations() == []


def test_today_on_a_desktop_shows_every_figure_beside_a_readable_page(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any
) -> None:
    """At desktop width each figure loads and is shown at a size that reads at arm's length
    without filling the screen."""
    base = live_server.url
    patient = factories.PatientFactory()
    factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=3))
    desktop = Watcher(browser.new_context(viewport={"width": 1280, "height": 900}))
    sign_in(desktop, base, patient.user.username)
    page = desktop.visit(base + reverse("today"))
    exercises = page.locator("details.exercise")
    assert exercises.count() >= 2
    for index in range(exercises.count()):
        exercise = exercises.nth(index)
        exercise.locator("summary").click()
        figure = exercise.locator("figure.exercise-figure img")
        expect(figure).to_be_visible()
        assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
        width = figure.bounding_box()["width"]  # type: ignore[index]
        assert 280 <= width <= 720, f"figure {index} is {width} px wide"
    screenshot(page, "today_figures_desktop")
    assert desktop.violations() == []
