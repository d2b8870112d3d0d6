"""axe-core on every page a patient or a therapist can reach, at phone and desktop width
(issue 15 requirement 6, issue 17 requirement 8); Lighthouse on Today and My programme.

The pages are found the way a user finds them: signed in on `make run`'s demo caseload (weeks
of history, flags, a paused programme), the test follows every link from the first page,
once per page (a page reached with other query values, such as another exercise's dose form
open, counts once per parameter name). A list of the pages each role must reach keeps the
crawl honest: a page no link leads to any more fails the test instead of going unchecked.
Forms sent back with their errors are checked too, as they are pages of their own."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page

from tests.browser.checks import (
    assert_no_axe_violations,
    axe_violations,
    describe,
    lighthouse_scores,
)
from tests.browser.test_journey import DESKTOP, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "rehab-demo-2026"
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])

# Links the crawl does not follow: they leave the HTML pages (files, feeds, the API, the admin)
# or end the session.
NOT_PAGES = ("/accounts/logout", "/export", "handout", ".pdf", ".ics", "/calendar/", "/api/",
             "/admin/", "/static/", "/media/", "/sw.js", "/manifest")  # fmt: skip

# The pages (URL names) each role must be able to reach by following links.
PATIENT_PAGES = {
    "today", "my_programme", "check_in", "questionnaires", "questionnaire_new", "progress",
    "preferences", "my_data", "notifications", "log_session", "password_change", "more",
}  # fmt: skip
THERAPIST_PAGES = {
    "caseload", "patient_detail", "patient_create", "programme_adjust", "programme_new",
    "notifications", "references", "password_change",
}  # fmt: skip


@pytest.fixture
def demo(live_server: Any, loaded_catalogue: None) -> str:
    call_command("seed_demo", stdout=io.StringIO())
    return str(live_server.url)


def _page(browser: Browser, viewport: Any) -> Page:
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    return context.new_page()


def _key(url: str) -> tuple[str, tuple[str, ...]]:
    """One visit per path and set of query parameter names."""
    parts = urlsplit(url)
    return parts.path, tuple(sorted(name for name, _ in parse_qsl(parts.query)))


def _crawl(page: Page, base: str, limit: int = 80) -> dict[str, str]:
    """Visit every page reachable from where sign-in landed; axe each. Returns the URL name
    of each page visited, and fails on the first page with violations, listing them."""
    queue = [page.url]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    visited: dict[str, str] = {}
    failures: list[str] = []
    while queue and len(visited) < limit:
        url = queue.pop(0).split("#")[0]
        if _key(url) in seen:
            continue
        seen.add(_key(url))
        response = page.goto(url)
        assert response is not None
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status == 200, f"{url} answered {response.status}"
        path = urlsplit(url).path
        try:
            visited[path + ("?" + urlsplit(url).query if urlsplit(url).query else "")] = str(
                resolve(path).url_name
            )
        except Resolver404:  # pragma: no cover - every link is to one of our pages
            pytest.fail(f"a link leads to {url}, which is no page of ours")
        violations = axe_violations(page)
        if violations:
            failures.append(f"{url}:\n{describe(violations)}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            followed = href.startswith(base) and not any(part in href for part in NOT_PAGES)
            if followed and _key(href.split("#")[0]) not in seen:
                queue.append(href)
    assert not failures, "axe-core found violations:\n" + "\n".join(failures)
    return visited


# Who signs in, the pages they must reach, and the pages they must never reach.
ROLES = {
    "patient": ("pat.achilles", PATIENT_PAGES, {"caseload", "patient_detail", "references"}),
    "therapist": ("demo.therapist", THERAPIST_PAGES, set()),
}


@VIEWPORTS
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_has_no_axe_violation(
    demo: str, browser: Browser, viewport: Any, role: str
) -> None:
    username, required, forbidden = ROLES[role]
    page = _page(browser, viewport)
    sign_in(page, demo, username, DEMO_PASSWORD)
    visited = set(_crawl(page, demo).values())
    missing = required - visited
    assert not missing, f"no link led to {sorted(missing)}; visited {sorted(visited)}"
    assert not forbidden & visited


@VIEWPORTS
def test_forms_sent_back_with_errors_have_no_axe_violation(
    demo: str, browser: Browser, viewport: Any
) -> None:
    """An error summary, messages beside fields and `aria-invalid`: the states a user meets
    when something is wrong must be as accessible as the rest."""
    therapist = _page(browser, viewport)
    sign_in(therapist, demo, "demo.therapist", DEMO_PASSWORD)
    therapist.goto(f"{demo}/patients/new/")
    therapist.locator("main form").get_by_role("button").last.click()
    assert therapist.locator(".error-summary").count() == 1
    assert_no_axe_violations(therapist, "the new-patient form with its errors")
    therapist.goto(f"{demo}/programmes/new/")
    therapist.get_by_role("button", name="Preview").click()
    assert therapist.locator(".error-summary").count() == 1
    assert_no_axe_violations(therapist, "the prescribing form with its errors")

    patient = _page(browser, viewport)
    sign_in(patient, demo, "pat.achilles", DEMO_PASSWORD)
    patient.goto(f"{demo}/questionnaires/new/")
    patient.locator("main form").get_by_role("button").last.click()
    assert patient.locator(".error-summary").count() == 1
    assert_no_axe_violations(patient, "the questionnaire with its errors")


def _session_cookie(page: Page) -> str:
    cookies = page.context.cookies()
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies if c["name"] == "sessionid")


@pytest.mark.parametrize("path", ["/today/", "/my-programme/"])
def test_lighthouse_accessibility_and_best_practices_are_full_marks(
    demo: str, browser: Browser, path: str
) -> None:
    page = _page(browser, PHONE)
    sign_in(page, demo, "pat.achilles", DEMO_PASSWORD)
    cookie = _session_cookie(page)
    assert cookie, "signed in, the browser holds a session cookie"
    scores, short = lighthouse_scores(f"{demo}{path}", cookie=cookie)
    assert scores == {"accessibility": 1, "best-practices": 1}, short


def test_the_crawl_reports_a_violation(demo: str, browser: Browser) -> None:
    """The check itself can fail: an image without alternative text is found."""
    page = _page(browser, DESKTOP)
    sign_in(page, demo, "pat.achilles", DEMO_PASSWORD)
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert "image-alt" in {v["id"] for v in axe_violations(page)}
