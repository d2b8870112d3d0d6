"""Content-Security-Policy: every page (and the API) carries the header, scripts are never
allowed inline, and the pages themselves hold nothing a strict policy would block — no inline
<script>, no on…= handlers, no style="" attributes. (tests/browser/test_csp.py checks the
same in Chromium, including what scripts do at run time.)"""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from patients.activity.services import record_check_in
from patients.models import Flag
from tests import factories
from tests.factories import NOW, web_client_for

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineCode(HTMLParser):
    """Collects what a strict policy would block in a page's own markup."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
        if "style" in names:
            self.found.append(f"<{tag} style=…>")
        if tag == "style":
            self.found.append("<style> element")
        is_data = (names.get("type") or "").endswith("json")
        if tag == "script" and not names.get("src") and not is_data:
            self.found.append("inline <script>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_strict(response: Any, *, strict_styles: bool = True) -> dict[str, list[str]]:
    assert CSP in response, f"{response.wsgi_request.path}: no {CSP} header"
    policy = directives(response[CSP])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"], policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "worker-src" not in policy or "'unsafe-inline'" not in policy["worker-src"]
    if strict_styles:
        assert "'unsafe-inline'" not in policy["style-src"]
        assert "data:" not in policy["img-src"]
    return policy


@pytest.fixture
def flagged(patient: Any, programme: Any) -> Flag:
    """A morning check-in with a red flag: a point on the progress chart, a flag to show."""
    record_check_in(
        patient=patient,
        client_uuid=uuid.uuid4(),
        local_date=NOW.date(),
        morning_pain_nrs=4,
        stiffness_minutes=20,
        red_flags=["sudden_pop"],
        logged_at=NOW,
        now=NOW,
    )
    return Flag.objects.get(patient=patient, kind=Flag.Kind.RED_FLAG)


def test_every_page_sends_a_strict_policy_and_holds_no_inline_code(
    client: Client,
    therapist_client: Client,
    patient_client: Client,
    patient: Any,
    programme: Any,
    flagged: Flag,
) -> None:
    staff = web_client_for(factories.UserFactory(is_staff=True, is_superuser=True))
    pages = [
        (client, reverse("login")),
        (client, reverse("password_reset")),
        (client, reverse("password_reset_done")),
        (therapist_client, reverse("caseload")),
        (therapist_client, reverse("patient_create")),
        (therapist_client, reverse("patient_detail", args=[patient.pk])),
        (therapist_client, reverse("programme_new")),
        (therapist_client, reverse("programme_adjust", args=[programme.pk])),
        (therapist_client, reverse("notifications")),
        (therapist_client, reverse("references")),
        (therapist_client, reverse("password_change")),
        (patient_client, reverse("today")),  # paused by the red flag: the banner
        (patient_client, reverse("my_programme")),
        (patient_client, reverse("check_in")),
        (patient_client, reverse("questionnaires")),
        (patient_client, reverse("questionnaire_new")),
        (patient_client, reverse("progress")),
        (patient_client, reverse("preferences")),
        (patient_client, reverse("notifications")),
        (staff, reverse("admin:index")),
        (staff, reverse("admin:patients_patient_changelist")),
        (staff, reverse("admin:patients_patient_change", args=[patient.pk])),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert inline_code(response.content.decode()) == [], url
    # The log form is offered only once the red flag is resolved (F3).
    Flag.objects.filter(pk=flagged.pk).update(status=Flag.Status.RESOLVED)
    response = patient_client.get(reverse("log_session", args=[1]))
    assert response.status_code == 200
    assert_strict(response)
    assert inline_code(response.content.decode()) == []

    progress = patient_client.get(reverse("progress")).content.decode()
    assert 'role="img"' in progress  # the SVG charts were drawn, and checked above

    # An htmx swap (acknowledging a flag) returns a fragment that keeps to the policy too.
    fragment = therapist_client.post(
        reverse("flag_acknowledge", args=[flagged.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert_strict(fragment)
    assert inline_code(fragment.content.decode()) == []


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def crawl(client: Client, start: str, limit: int = 60) -> dict[str, Any]:
    """Every page of the site reachable by links from `start` (the admin, the API and static
    files aside), so a page added later is checked without being listed here."""
    seen: dict[str, Any] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0).split("#")[0]
        if not path.startswith("/") or path in seen:
            continue
        if path.startswith(("/admin/", "/api/", "/static/")):
            continue
        response = seen[path] = client.get(path)
        if response.status_code in {301, 302}:
            queue.append(response["Location"])
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            links = Links()
            links.feed(response.content.decode())
            queue += links.hrefs
    return seen


def test_every_page_reachable_by_links_keeps_to_the_policy(
    therapist_client: Client, patient_client: Client, flagged: Flag
) -> None:
    for who in (therapist_client, patient_client):
        pages = crawl(who, "/")
        assert len(pages) >= 8, sorted(pages)
        for path, response in pages.items():
            assert_strict(response)
            if response["Content-Type"].startswith("text/html"):
                assert inline_code(response.content.decode()) == [], path


def test_htmx_is_told_not_to_inject_its_indicator_style(patient_client: Client) -> None:
    page = patient_client.get(reverse("today")).content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in page
    assert page.index('name="htmx-config"') < page.index("htmx-2.min.js")


def test_errors_and_the_api_carry_the_policy(client: Client, patient_client: Client) -> None:
    assert_strict(client.get("/no-such-page/"))
    for response in (
        client.get("/api/v1/me/"),  # 401
        patient_client.get("/api/v1/today/"),
        client.get("/api/v1/schema/"),
        client.get("/api/v1/nothing-here/"),
    ):
        assert_strict(response)


def test_the_api_docs_relax_styles_only_as_far_as_their_bundles_need(client: Client) -> None:
    # Swagger UI: the init script comes from the same URL (?script), not inline.
    swagger = client.get("/api/v1/docs/")
    policy = assert_strict(swagger, strict_styles=False)
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert inline_code(swagger.content.decode()) == []
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content

    # Redoc's styled-components insert <style> elements at run time: inline styles, never
    # inline scripts, and no fonts or images from another site.
    redoc = client.get("/api/v1/redoc/")
    policy = assert_strict(redoc, strict_styles=False)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["blob:"]
    assert inline_code(redoc.content.decode()) == []
    assert b"googleapis" not in redoc.content
