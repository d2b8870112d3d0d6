"""The references page (issue 17, requirement 5): every source id resolved to its citation,
INFERENCE explained, linked from the therapist's pages, and closed to patients. And how phases
advance, on the programme page, from the catalogue's own numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse

from programmes.models import Source, Threshold
from programmes.reference_index import read_index
from programmes.selectors import catalogue_snapshot
from tests import factories
from tests.factories import web_client_for

pytestmark = pytest.mark.django_db


def test_the_references_page_resolves_every_source_id_of_the_reference(therapist: Any) -> None:
    page = web_client_for(therapist.user).get(reverse("references"))
    assert page.status_code == 200
    html = page.content.decode()
    for code in read_index().source_ids:
        citation = Source.objects.get(code=code).citation
        assert f'<tr id="{code}"' in html, code
        assert Template("{{ c }}").render(Context({"c": citation})) in html, code
    assert 'id="inference"' in html
    assert "needs clinician sign-off" in html


def test_the_references_page_lists_the_thresholds_that_are_our_inference(
    therapist: Any,
) -> None:
    html = web_client_for(therapist.user).get(reverse("references")).content.decode()
    for threshold in Threshold.objects.all():
        listed = f"<code>{threshold.slug}</code>" in html
        assert listed == ("INFERENCE" in threshold.sources), threshold.slug


def test_a_patient_cannot_open_the_references_page(patient: Any) -> None:
    response = web_client_for(patient.user).get(reverse("references"))
    assert response.status_code == 404


def test_the_references_page_needs_a_sign_in(client: Any) -> None:
    response = client.get(reverse("references"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_source_ids_link_to_their_citation_and_inference_explains_itself() -> None:
    html = Template("{% load rehab_web %}{{ ids|sources }}").render(
        Context({"ids": ["R6", "INFERENCE", "<script>"]})
    )
    r6 = Source.objects.get(code="R6").citation
    assert re.search(r'<a href="/references/#R6" title="[^"]+" class="source">R6</a>', html)
    assert Template("{{ c }}").render(Context({"c": r6})) in html
    assert 'href="/references/#inference"' in html
    assert "needs clinician sign-off" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_source_ids_inside_clinician_text_are_linked_and_the_rest_escaped() -> None:
    html = Template("{% load rehab_web %}{{ text|link_sources }}").render(
        Context({"text": "3 × 45 s <b>twice</b> [R30], R29 and R5b; RED is not one"})
    )
    assert 'href="/references/#R30"' in html
    assert 'href="/references/#R29"' in html
    assert 'href="/references/#R5b"' in html
    assert "&lt;b&gt;twice&lt;/b&gt;" in html
    assert "RED is not one" in html


def test_the_programme_page_links_every_source_id_and_explains_how_phases_advance(
    patient: Any, programme: Any, frozen_clock: Any
) -> None:
    page = web_client_for(patient.therapist.user).get(
        reverse("programme_adjust", args=[programme.pk])
    )
    html = page.content.decode()
    assert 'href="/references/#R6"' in html
    # No source id left as bare text in the Note column.
    assert not re.search(r'<span class="muted">R\d', html)

    catalogue = catalogue_snapshot()
    limits = catalogue.protocols[programme.protocol.slug].pain_limits
    adherence = catalogue.thresholds["ready_to_progress_adherence_pct"].value
    assert "How phases advance" in html
    assert "never by the calendar" in html
    assert "week 3" in html  # NOW is in week 3 of a programme started on STARTED
    assert f"at least {adherence:g} %" in html
    assert f"at most {limits.progress_max:g}/10" in html
    # Phase 2 starts in week 2 by the protocol, but this programme is still in phase 1.
    assert "would suggest phase 2" in html


def test_the_flag_and_the_preview_link_their_sources(patient: Any, programme: Any) -> None:
    factories.make_flag(patient, sources=["R5", "INFERENCE"])
    html = (
        web_client_for(patient.therapist.user)
        .get(reverse("patient_detail", args=[patient.pk]))
        .content.decode()
    )
    assert 'href="/references/#R5"' in html
    assert 'href="/references/#inference"' in html
