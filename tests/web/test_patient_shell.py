"""The patient's pages on a phone (issue 15, requirement 6): the tab bar and the More page,
Today's sessions in the order to do them with where each stands, and the branded error pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from rehab import views
from tests.patients.recording import session_on

pytestmark = pytest.mark.django_db


def _tab_bar(page: str) -> str:
    found = re.search(r'<nav class="tabbar".*?</nav>', page, re.S)
    assert found, "no tab bar"
    return found.group(0)


def _current_tab(page: str) -> list[str]:
    """The labels of the tabs marked current (page, or true for a page reached from More)."""
    return re.findall(
        r'aria-current="(?:page|true)">.*?<span class="tab-label">([\w-]+)</span>',
        _tab_bar(page),
        re.S,
    )


# --- The tab bar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "tab", "current"),
    [
        ("today", "Today", "page"),
        ("check_in", "Check-in", "page"),
        ("progress", "Progress", "page"),
        ("more", "More", "page"),
        ("my_programme", "More", "true"),  # reached from More: its tab is marked, not "page"
        ("preferences", "More", "true"),
    ],
)
def test_every_patient_page_has_the_tab_bar_with_its_own_tab_marked(
    patient_client: Client, programme: Any, url: str, tab: str, current: str
) -> None:
    page = patient_client.get(reverse(url)).content.decode()
    assert '<body class="patient">' in page
    bar = _tab_bar(page)
    for name, target in [
        ("Today", "today"),
        ("Check-in", "check_in"),
        ("Progress", "progress"),
        ("More", "more"),
    ]:
        assert f'href="{reverse(target)}"' in bar
        assert f'<span class="tab-label">{name}</span>' in bar
    assert bar.count("aria-current=") == 1
    assert _current_tab(page) == [tab]
    assert f'aria-current="{current}"' in bar


def test_the_log_form_belongs_to_the_today_tab(patient_client: Client, programme: Any) -> None:
    page = patient_client.get(reverse("log_session", args=[1])).content.decode()
    assert _current_tab(page) == ["Today"]


def test_the_tab_bar_carries_the_unread_count_on_more(patient_client: Client, patient: Any) -> None:
    from patients.models import Notification

    Notification.objects.create(user=patient.user, kind="reminder", title="Time for session 1")
    bar = _tab_bar(patient_client.get(reverse("more")).content.decode())
    assert 'aria-label="1 unread"' in bar


def test_therapist_pages_have_no_tab_bar(therapist_client: Client) -> None:
    page = therapist_client.get(reverse("caseload")).content.decode()
    assert "tabbar" not in page
    assert '<body class="patient">' not in page
    assert ">Caseload</a>" in page


# --- More -------------------------------------------------------------------------------------


def test_more_lists_every_page_without_a_tab_and_signs_out(patient_client: Client) -> None:
    response = patient_client.get(reverse("more"))
    page = response.content.decode()
    main = page[page.index('<main id="main">') : page.index("</main>")]
    for target in [
        "my_programme",
        "questionnaires",
        "preferences",
        "my_data",
        "notifications",
        "password_change",
    ]:
        assert f'href="{reverse(target)}"' in main
    assert f'action="{reverse("logout")}"' in main
    assert "Sign out</button>" in main


def test_more_is_the_patients_only(therapist_client: Client, client: Client) -> None:
    assert therapist_client.get(reverse("more")).status_code == 404
    assert client.get(reverse("more"))["Location"].startswith(reverse("login"))


# --- Today: the current session first, and where each stands ----------------------------------

LONDON_MORNING = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 09:00 in London
LONDON_LATE = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)  # 22:30, after the 18:00 session


def _session_headings(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(r'<h3 id="session-\d">(.*?)</h3>', page, re.S)
    ]


def test_in_the_morning_the_first_session_is_due_and_comes_first(
    patient_client: Client, programme: Any
) -> None:
    with time_machine.travel(LONDON_MORNING, tick=False):
        page = patient_client.get(reverse("today")).content.decode()
    assert _session_headings(page) == [
        "Session 1 · 08:00 Due now",
        "Session 2 · 18:00 Still to do",
    ]
    assert 'id="late"' not in page
    assert "How is your ankle this morning?" in page
    assert page.index('id="checkin-h"') < page.index('id="session-1"')


def test_late_in_the_day_the_page_says_what_remains_and_which_were_missed(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    with time_machine.travel(LONDON_LATE, tick=False):
        page = patient_client.get(reverse("today")).content.decode()
    assert _session_headings(page) == [
        "Session 2 · 18:00 Due now",
        "Session 1 · 08:00 Missed, but you can still do it today",
    ]
    late = page[page.index('id="late"') : page.index("</section>", page.index('id="late"'))]
    assert "Still to do today" in late
    assert 'href="#session-1">Session 1 (08:00)' in late
    assert 'href="#session-2">Session 2 (18:00)' in late
    assert "The morning check-in" in late
    assert "You have not done today's check-in yet" in page
    # The list names the check-in; its card comes after the sessions, the one to do now first.
    assert page.index('id="session-2"') < page.index('id="checkin-h"')


def test_late_in_the_day_with_everything_logged_says_so(
    patient_client: Client, patient: Any, programme: Any
) -> None:
    from tests.factories import NOW
    from tests.patients.recording import morning_check_in

    session_on(patient, NOW.date(), slot=1)
    session_on(patient, NOW.date(), slot=2)
    morning_check_in(patient, NOW.date(), pain=2)
    with time_machine.travel(LONDON_LATE, tick=False):
        page = patient_client.get(reverse("today")).content.decode()
    assert "All done for today" in page
    assert [h.split(" ")[-1] for h in _session_headings(page)] == ["Done", "Done"]


# --- Error pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "way_back"),
    [
        ("anonymous", ("login", "Sign in")),
        ("patient", ("today", "Back to Today")),
        ("therapist", ("caseload", "Back to your caseload")),
    ],
)
def test_a_missing_page_is_a_branded_404_with_the_way_back(
    client: Client, patient_client: Client, therapist_client: Client, who: str, way_back: Any
) -> None:
    browser = {"anonymous": client, "patient": patient_client, "therapist": therapist_client}[who]
    response = browser.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert 'class="brand"' in page
    assert "We cannot find that page" in page
    url, words = way_back
    assert f'<a class="button" href="{reverse(url)}">{words}</a>' in page


def test_a_patient_on_a_therapist_page_gets_the_404_with_a_way_back_to_today(
    patient_client: Client,
) -> None:
    response = patient_client.get(reverse("caseload"))
    assert response.status_code == 404
    assert "Back to Today" in response.content.decode()
    assert "tabbar" in response.content.decode()


def test_a_403_is_branded_with_the_way_back(patient: Any) -> None:
    request = RequestFactory().get("/x/")
    request.user = patient.user
    response = defaults.permission_denied(request, Exception("no"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot do that here" in page
    assert "Back to Today" in page


def test_a_400_and_an_expired_form_are_branded_pages(patient_client: Client) -> None:
    response = defaults.bad_request(RequestFactory().get("/x/"), Exception("bad"))
    assert response.status_code == 400
    assert 'class="brand"' in response.content.decode()
    csrf = Client(enforce_csrf_checks=True)
    csrf.cookies = patient_client.cookies
    refused = csrf.post(reverse("logout"))
    assert refused.status_code == 403
    assert "Please send that again" in refused.content.decode()


def test_the_500_page_renders_without_a_database_or_a_user(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/today/")  # no user, no session
    try:
        raise RuntimeError("boom")
    except RuntimeError:  # handler500 runs inside the failed request's except
        with django_assert_num_queries(0):
            response = views.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert 'class="brand"' in page
    assert "Something went wrong" in page
    assert 'href="/"' in page
