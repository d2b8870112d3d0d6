"""The whole journey in a real browser: a therapist adds a patient and prescribes a
mid-portion Achilles programme; the patient sees today's sessions, logs one and reports a
red flag in the morning check-in; the therapist sees the flag and resolves it; the progress
chart shows the new point. Screenshots of each main page go to tests/browser/screenshots/."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from patients.people.services import create_therapist
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    pass_second_step(page, username)


def pass_second_step(page: Page, username: str) -> None:
    """After the password, as a person would: a therapist's first sign-in sets up an
    authenticator app from the secret on the page and saves the recovery codes; a later one
    types the code the app shows. Nothing for a patient without two-step sign-in."""
    path = urlparse(page.url).path
    if path == reverse("two_factor_set_up"):
        secret = page.locator("#secret").inner_text()
        page.get_by_label("Code").fill(factories.code_from_secret(secret))
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
        expect(page.locator("ol.codes li")).to_have_count(10)
        with page.expect_navigation():
            page.get_by_role("button", name="I have saved them: continue").click()
    elif path == reverse("two_factor_code"):
        app = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.get_by_label("Code").fill(factories.unused_code(app))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


def test_therapist_and_patient_journey(
    live_server: Any, loaded_catalogue: None, browser: Browser, screenshot: Any
) -> None:
    base = live_server.url
    create_therapist(
        username="jo.therapist", password=PASSWORD, first_name="Jo", last_name="Bloggs"
    )

    # --- The therapist adds a patient and prescribes a programme --------------------------
    therapist = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(therapist, base, "jo.therapist", PASSWORD)
    expect(therapist.get_by_role("heading", name="Your caseload")).to_be_visible()
    therapist.get_by_role("link", name="Add a patient").click()
    therapist.get_by_label("First name").fill("Alex")
    therapist.get_by_label("Last name").fill("Morgan")
    therapist.get_by_label("Username").fill("alex.morgan")
    therapist.get_by_label("Email").fill("alex@example.org")
    therapist.get_by_label("Set a first password now").check()
    therapist.get_by_role("textbox", name="First password").fill(PASSWORD)
    therapist.get_by_role("button", name="Create the account").click()

    expect(therapist.get_by_role("heading", name="New programme")).to_be_visible()
    therapist.get_by_label("Diagnosis").select_option("achilles_midportion")
    therapist.get_by_label("Right").check()
    therapist.get_by_label("Onset").select_option("chronic")
    therapist.get_by_label("Age (years)").fill("44")
    therapist.locator("#id_swelling_1").check()  # the required answers: "No"
    therapist.locator("#id_recent_injury_1").check()
    therapist.get_by_role("button", name="Preview the programme").click()
    expect(therapist.locator("#preview")).to_contain_text("Achilles tendinopathy, mid-portion")
    screenshot(therapist, "02-new-programme-preview")
    therapist.get_by_role("button", name="Prescribe this programme").first.click()
    expect(therapist.get_by_text("Programme prescribed")).to_be_visible()
    screenshot(therapist, "08-programme-adjust")

    therapist.get_by_role("link", name="Caseload").click()
    expect(therapist.get_by_role("cell", name="Alex Morgan")).to_be_visible()
    screenshot(therapist, "01-caseload")

    # --- The patient follows today's programme on a phone ---------------------------------
    patient = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(patient, base, "alex.morgan", PASSWORD)
    expect(patient.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    expect(patient.get_by_role("heading", name=re.compile("Session 1"))).to_be_visible()
    expect(patient.get_by_role("heading", name=re.compile("Session 2"))).to_be_visible()
    screenshot(patient, "03-patient-today")

    patient.get_by_role("link", name="Log session 1").click()
    for field in patient.get_by_label("Pain during").all():
        field.fill("2")
    patient.get_by_label("Pain after the session").fill("3")
    screenshot(patient, "04-log-session")
    patient.get_by_role("button", name="Save session 1").click()
    expect(patient.get_by_text("Session 1 logged")).to_be_visible()
    expect(patient.locator(".session.is-done")).to_have_count(1)

    patient.get_by_role("link", name="Check-in").first.click()
    patient.get_by_label("Pain when you got up this morning").fill("4")
    patient.get_by_label("Minutes of stiffness after getting up").fill("20")
    for group in patient.locator(".radio-row fieldset").all():
        group.get_by_label("No").check()
    pop = patient.get_by_role("group", name=re.compile("Did you feel a sudden sharp pain"))
    pop.get_by_label("Yes").check()
    screenshot(patient, "05a-check-in-form")
    patient.get_by_role("button", name="Send my check-in").click()
    expect(patient.get_by_role("heading", name="Get medical help today")).to_be_visible()
    expect(patient.get_by_text("Stop all of your exercises")).to_be_visible()
    screenshot(patient, "05b-check-in-red-flag-advice")

    # --- The therapist sees the flag and resolves it -------------------------------------
    therapist.reload()
    expect(therapist.get_by_text("Urgent").first).to_be_visible()
    # The caseload's flag column (plain flag values read with the page, issue 14).
    expect(therapist.locator("li.flag.severity-3")).to_contain_text("Urgent Red flag")
    screenshot(therapist, "01b-caseload-with-red-flag")
    therapist.set_viewport_size(PHONE)
    screenshot(therapist, "01c-caseload-with-red-flag-phone")
    therapist.set_viewport_size(DESKTOP)
    therapist.get_by_role("link", name="Alex Morgan").click()
    flag = therapist.locator("article.flag", has_text="red flag").first
    expect(flag).to_contain_text("Urgent")
    screenshot(therapist, "06-patient-detail-with-flag")
    flag.get_by_label("How was it resolved?").fill("Phoned Alex; seen in clinic today.")
    flag.get_by_role("button", name="Resolve with this note").click()
    resolved = therapist.locator("article.flag", has_text="Phoned Alex")
    expect(resolved).to_contain_text("Resolved by Jo Bloggs")

    # --- The progress chart shows the new point ------------------------------------------
    patient.get_by_role("link", name="Progress").click()
    chart = patient.locator("#chart-pain svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("title", has_text="Pain next morning, Week 1: 4")).to_have_count(1)
    expect(chart.locator("title", has_text="Pain during exercise, Week 1: 2")).to_have_count(1)
    screenshot(patient, "07-progress-chart")
