"""The Content-Security-Policy in a real browser: Chromium loads every main page (therapist,
patient, sign-in, the admin, the API docs), runs the page scripts and an htmx swap, and reports
no policy violation — nothing on the pages needs 'unsafe-inline'."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from patients.activity.services import record_check_in
from patients.models import Flag
from tests import factories
from tests.browser.test_journey import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation lands here: the `securitypolicyviolation` event (recorded by a script the
# browser injects into each document before the page's own; it is not subject to the policy)
# and Chromium's console message about it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`
  );
});
"""


class Watcher:
    def __init__(self, context: BrowserContext) -> None:
        context.add_init_script(RECORD_VIOLATIONS)
        self.console: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        found = self.page.evaluate("window.__cspViolations || []") + self.console
        self.console = []
        return list(found)

    def visit(self, url: str, *, ready: str = "main") -> Page:
        response = self.page.goto(url)
        assert response is not None, url
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_selector(ready)
        self.page.wait_for_load_state("networkidle")
        return self.page


def sign_in(watcher: Watcher, base: str, username: str) -> None:
    page = watcher.visit(f"{base}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    pass_second_step(page, username)  # a therapist sets up an app, then types its code
    page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(
    live_server: Any, loaded_catalogue: None, browser: Browser
) -> None:
    base = live_server.url
    patient = factories.PatientFactory()
    therapist = patient.therapist
    programme = factories.prescribe(patient, started_on=timezone.localdate() - timedelta(days=9))
    now = timezone.now()
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=timezone.localdate(),
        morning_pain_nrs=4,
        stiffness_minutes=20,
        red_flags=["sudden_pop"],
        logged_at=now,
        now=now,
    )
    flag = Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    problems: dict[str, list[str]] = {}

    def check(watcher: Watcher, what: str) -> None:
        found = watcher.violations()
        if found:
            problems[what] = found

    # --- Signed out -------------------------------------------------------------------------
    anonymous = Watcher(browser.new_context())
    for name in ("login", "password_reset"):
        anonymous.visit(f"{base}{reverse(name)}")
        check(anonymous, name)

    # --- The therapist -------------------------------------------------------------------------
    clinician = Watcher(browser.new_context(viewport={"width": 1200, "height": 900}))
    sign_in(clinician, base, therapist.user.username)
    check(clinician, "therapist sign-in")
    for url in (
        reverse("caseload"),
        reverse("patient_create"),
        reverse("programme_new"),
        reverse("programme_adjust", args=[programme.pk]),
        reverse("notifications"),
        reverse("password_change"),
        reverse("two_factor"),
    ):
        clinician.visit(base + url)
        check(clinician, url)
    page = clinician.visit(base + reverse("patient_detail", args=[patient.pk]))
    check(clinician, "patient detail")
    # An htmx swap: acknowledging the flag replaces its card in place.
    card = page.locator(f"#flag-{flag.pk}")
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("Acknowledged by")
    check(clinician, "htmx: acknowledge a flag")
    # The new-programme preview (a form post and a rendered plan).
    page = clinician.visit(f"{base}{reverse('programme_new')}?patient={patient.pk}")
    page.get_by_label("Diagnosis").select_option("achilles_midportion")
    page.get_by_label("Right").check()
    page.get_by_label("Onset").select_option("chronic")
    page.get_by_label("Age (years)").fill("44")
    page.locator("#id_swelling_1").check()  # the required answers: "No"
    page.locator("#id_recent_injury_1").check()
    page.get_by_role("button", name="Preview the programme").click()
    expect(page.locator("#preview")).to_be_visible()
    check(clinician, "programme preview")

    # --- The patient, on a phone ------------------------------------------------------------
    phone = Watcher(
        browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    )
    sign_in(phone, base, patient.user.username)
    check(phone, "patient sign-in")
    phone.visit(base + reverse("today"))
    check(phone, "today, paused by the red flag")
    # The clinician resolves the red flag: the programme (and the log page) is back (F3).
    Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.RESOLVED, resolved_at=now)
    for url in (
        reverse("today"),
        reverse("my_programme"),
        reverse("check_in"),
        reverse("questionnaires"),
        reverse("questionnaire_new"),
        reverse("preferences"),
        reverse("notifications"),
        reverse("more"),
    ):
        phone.visit(base + url)
        check(phone, url)
    page = phone.visit(base + reverse("progress"))
    expect(page.locator("#chart-pain svg[role=img]")).to_be_visible()
    check(phone, "progress charts")
    # rehab.js: "why skipped" appears only once "skipped" is ticked.
    page = phone.visit(base + reverse("log_session", args=[1]))
    reason = page.locator("[data-show-when]")
    expect(reason).to_be_hidden()
    page.get_by_role("checkbox", name="I skipped this session").check()
    expect(reason).to_be_visible()
    check(phone, "log a session (rehab.js)")

    # --- Clinic staff: the Django admin -----------------------------------------------------
    admin = Watcher(browser.new_context(viewport={"width": 1200, "height": 900}))
    sign_in(admin, base, staff.username)  # the site's own sign-in: staff set up an app too
    expect(admin.page.get_by_role("heading", name="Site administration")).to_be_visible()
    check(admin, "admin sign-in")
    for url in (
        reverse("admin:index"),
        reverse("admin:patients_patient_changelist"),
        reverse("admin:patients_patient_change", args=[patient.pk]),
        reverse("admin:auth_user_add"),
    ):
        admin.visit(base + url, ready="#content")
        check(admin, url)

    # --- The API docs: their own, wider policy ----------------------------------------------
    docs = Watcher(browser.new_context())
    page = docs.visit(f"{base}/api/v1/docs/", ready=".swagger-ui .info .title")
    expect(page.locator(".opblock").first).to_be_visible()
    check(docs, "Swagger UI")
    page = docs.visit(f"{base}/api/v1/redoc/", ready=".menu-content")
    expect(page.get_by_role("heading", name="Log in: get a token for this device")).to_be_visible()
    # Redoc's "API docs by Redocly" logo comes from cdn.redoc.ly: blocked on purpose (nothing
    # is loaded from another site) and hidden by Redoc when it fails to load.
    found = [v for v in docs.violations() if "cdn.redoc.ly" not in v]
    if found:
        problems["Redoc"] = found

    assert not problems, json.dumps(problems, indent=2)
