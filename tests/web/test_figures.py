"""Exercise figures on the pages (issue 15): Today (a thumbnail by the name, the figure with
its alt text beside the steps), the log form, the therapist's preview and programme page;
the figure files themselves are public, versioned and cacheable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from programmes.figure_files import drawn_figures, figure_svg
from tests.factories import current_items
from tests.web.test_programme_pages import _intake, _preview

pytestmark = pytest.mark.django_db


def _figure_tags(page: str) -> list[str]:
    return re.findall(r'<img[^>]*src="/exercises/figures/[^"]+"[^>]*>', page)


def test_today_shows_each_exercise_with_its_figure_and_alt_text(
    patient_client: Client, programme: Any
) -> None:
    page = patient_client.get(reverse("today")).content.decode()
    items = current_items(programme)
    for item in items:
        drawn = drawn_figures()[item.exercise.figure]
        # The large figure beside the steps: alt text and its intrinsic size (no layout jump).
        assert f'src="{drawn.url}" alt="{drawn.alt}" width="{drawn.width}"' in page
        # The thumbnail next to the name is decorative: the name says it.
        assert f'class="figure-thumb" src="{drawn.url}" alt=""' in page
    assert "Striped: your painful leg." in page
    for tag in _figure_tags(page):
        assert "style=" not in tag


def test_the_log_form_shows_each_exercise_figure(patient_client: Client, programme: Any) -> None:
    page = patient_client.get(reverse("log_session", args=[1])).content.decode()
    for item in current_items(programme):
        drawn = drawn_figures()[item.exercise.figure]
        assert f'src="{drawn.url}" alt="{drawn.alt}"' in page


def test_the_therapist_sees_the_figures_in_the_preview_and_on_the_programme(
    therapist_client: Client, patient: Any, programme: Any
) -> None:
    preview = _preview(therapist_client, _intake(patient)).content.decode()
    assert len(_figure_tags(preview)) >= 3
    page = therapist_client.get(reverse("programme_adjust", args=[programme.pk])).content
    for item in current_items(programme):
        assert drawn_figures()[item.exercise.figure].url in page.decode()


def test_a_figure_is_public_svg_cached_for_a_year_at_its_version(client: Client) -> None:
    drawn = drawn_figures()["step_drop_knee_straight"]
    response = client.get(drawn.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content.decode() == drawn.svg
    # An old or missing version is served but only cached briefly (the drawing may change).
    stale = client.get(reverse("exercise_figure", args=["step_drop_knee_straight"]) + "?v=old")
    assert stale["Cache-Control"] == "public, max-age=300"
    assert client.head(drawn.url).status_code == 200
    assert client.post(drawn.url).status_code == 405


def test_an_unknown_figure_or_media_is_a_404(client: Client) -> None:
    assert client.get(reverse("exercise_figure", args=["no_such_figure"])).status_code == 404
    missing = reverse("exercise_media", args=["00000000-0000-0000-0000-000000000000"])
    assert client.get(missing).status_code == 404


def test_the_inline_svg_tag_gives_the_drawing_labelled_with_its_alt_text() -> None:
    from django.template import Context, Template

    from programmes.models import Exercise

    exercise = Exercise.objects.get(slug="ecc_heel_drop_straight_step")
    drawn = drawn_figures()[exercise.figure]
    out = Template("{% load figures %}{% exercise_figure_svg e %}").render(Context({"e": exercise}))
    assert out.startswith(f'<svg role="img" aria-label="{drawn.alt}" xmlns=')
    assert out.endswith("</svg>")
    assert figure_svg("ecc_heel_drop_straight_step") == drawn.svg
    assert figure_svg(exercise.figure) == drawn.svg
    assert figure_svg("no_such_exercise") == ""
