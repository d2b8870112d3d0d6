"""The hold timer and rep counter on Today (timer.js) in a real browser at phone width, on a
fake clock: a hold counts down, ends by itself, is counted, and "+1" counts one more; the
live region says what changed; nothing breaks the Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests import factories
from tests.browser.test_csp import Watcher, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots/timer")


def test_the_hold_timer_counts_down_and_the_counter_counts_on_a_phone(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any
) -> None:
    base = live_server.url
    patient = factories.PatientFactory()
    # Peroneal tendinopathy, week 1: 5-10 holds of 5 s against a chair leg, no rest in the dose.
    factories.prescribe(
        patient,
        intake=factories.answered_intake("peroneal_tendinopathy"),
        started_on=timezone.localdate(),
    )
    phone = Watcher(
        browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            reduced_motion="reduce",
        )
    )
    page = phone.page
    page.clock.install()
    sign_in(phone, base, patient.user.username)
    page = phone.visit(base + reverse("today"))

    workout = page.locator("[data-workout][data-hold-s='5']")
    workout.locator("xpath=ancestor::details").locator("summary").click()
    timer = workout.get_by_role("group", name="Hold timer")
    count = timer.get_by_role("timer")
    counter = workout.locator("[data-counter-text]")
    announce = workout.locator("[data-announce]")
    expect(timer).to_be_visible()  # the script showed its tools
    expect(count).to_have_text("5")
    expect(counter).to_have_text("Holds: 0 of 5–10")
    # Readable at arm's length on a phone, and no colour fade for reduced motion.
    assert float(count.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 64
    assert count.evaluate("e => getComputedStyle(e).transitionDuration") == "0s"

    timer.get_by_role("button", name="Start").click()
    page.clock.run_for(2100)
    expect(count).to_have_text("3")
    expect(workout.locator("[data-timer-phase]")).to_have_text("Hold")
    expect(announce).to_have_text("Hold")
    expect(timer.get_by_role("button", name="Start")).to_be_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "browser-phone-holding.png"))

    # Pause holds the time; Resume carries on from it.
    timer.get_by_role("button", name="Pause").click()
    page.clock.run_for(5000)
    expect(count).to_have_text("3")
    timer.get_by_role("button", name="Resume").click()
    page.clock.run_for(3100)
    # The hold ended by itself and was counted; no rest in the dose, so it waits for Start.
    expect(counter).to_have_text("Holds: 1 of 5–10")
    expect(announce).to_have_text("Rest")
    expect(workout.locator("[data-timer-phase]")).to_have_text("Rest, then start the next hold")
    expect(timer.get_by_role("button", name="Start next hold")).to_be_visible()

    workout.get_by_role("button", name="+1 hold").click()
    expect(counter).to_have_text("Holds: 2 of 5–10")
    screenshot(page, "timer-phone")

    timer.get_by_role("button", name="Reset").click()
    expect(counter).to_have_text("Holds: 0 of 5–10")
    expect(count).to_have_text("5")
    assert phone.violations() == []


def test_a_rep_counter_moves_to_the_next_set_and_one_timer_runs_at_a_time(
    live_server: Any, loaded_catalogue: None, browser: Browser
) -> None:
    base = live_server.url
    patient = factories.PatientFactory()
    # Silbernagel, week 1: ankle pumps 2 sets of 10 first.
    factories.prescribe(patient, started_on=timezone.localdate())
    phone = Watcher(browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True))
    phone.page.clock.install()
    sign_in(phone, base, patient.user.username)
    page = phone.visit(base + reverse("today"))
    workout = page.locator("[data-workout][data-reps='10'][data-sets='2']").first
    workout.locator("xpath=ancestor::details").locator("summary").click()
    counter = workout.locator("[data-counter-text]")
    expect(counter).to_have_text("Reps: 0 of 10 · set 1 of 2")
    add = workout.get_by_role("button", name="+1 rep")
    for _ in range(10):
        add.click()
    expect(counter).to_have_text("Reps: 0 of 10 · set 2 of 2")
    expect(workout.locator("[data-announce]")).to_have_text("Set 2 of 2")
    for _ in range(10):
        add.click()
    expect(counter).to_have_text("Reps: 10 of 10 · set 2 of 2 · all done")
    expect(add).to_be_disabled()
    assert phone.violations() == []

    # Two stretches (30 s holds): starting the second pauses the first.
    first, second = (page.locator("[data-workout][data-hold-s='30']").nth(n) for n in (0, 1))
    for workout in (first, second):
        workout.locator("xpath=ancestor::details").locator("summary").click()
    first.get_by_role("button", name="Start").click()
    page.clock.run_for(2100)
    second.get_by_role("button", name="Start").click()
    page.clock.run_for(1100)
    expect(first.locator("[data-timer-phase]")).to_have_text("Paused")
    expect(first.get_by_role("timer")).to_have_text("28")
    expect(second.get_by_role("timer")).to_have_text("29")
    assert phone.violations() == []
