"""Web push in a real browser (issue 16): on the Reminders page Chromium shows the button (the
script found a browser that can push), the service worker registers for the whole site under
the Content-Security-Policy, and the site offers its web-app manifest. (Subscribing needs the
browser maker's push service, which this machine cannot reach: the server side of
subscribing and sending is tested against a local push service in
tests/patients/notifications/test_push.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Browser, expect

from patients.notifications.push import new_private_key
from tests import factories
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.browser.test_journey import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_reminders_page_offers_push_and_registers_the_service_worker(
    live_server: Any, browser: Browser, screenshot: Any, viewport: Any
) -> None:
    patient = factories.PatientFactory()
    context = browser.new_context(viewport=viewport)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    with override_settings(REHAB_VAPID_PRIVATE_KEY=new_private_key()):
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill(patient.user.username)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}{reverse('preferences')}")
        button = page.get_by_role("button", name="Turn on notifications on this device")
        expect(button).to_be_visible()
        expect(page.locator("#push-unsupported")).to_be_hidden()
        scope = page.evaluate(
            "navigator.serviceWorker.register('/sw.js', {scope: '/'}).then(r => r.scope)"
        )
        assert scope == f"{live_server.url}/"
        manifest = page.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
        )
        assert manifest["display"] == "standalone"
        screenshot(page, f"push-reminders-{'phone' if viewport == PHONE else 'desktop'}")
        assert page.evaluate("window.__cspViolations") == []
    context.close()
