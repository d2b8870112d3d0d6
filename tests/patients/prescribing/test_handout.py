"""The printed programme handout: My programme as a PDF rendered by WeasyPrint from our own
templates, with a QR code to the sign-in page, fetching nothing but our static files
(issue 15, requirement 4)."""

from __future__ import annotations

import http.server
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from weasyprint import HTML

from patients.prescribing.handout import (
    BASE_URL,
    RefusedURL,
    StaticFilesOnly,
    handout_html,
    static_name,
)
from patients.prescribing.selectors import my_programme
from patients.prescribing.services import end_programme
from programmes.models import ProgrammeItem
from programmes.text import describe_dose
from tests import factories
from tests.factories import NOW, web_client_for
from tests.patients.recording import report_red_flag
from tests.programmes.test_patient_text import _slugs, problems

pytestmark = pytest.mark.django_db

SIGN_IN = "http://testserver/accounts/login/"
# Where the first page's image goes for a reviewer to look at (beside the browser tests').
SHOTS = Path(os.environ.get("REHAB_SHOTS_DIR", Path(__file__).parents[2] / "browser/screenshots"))


@pytest.fixture(autouse=True)
def _clock(frozen_clock: Any) -> None:
    """Friday of week 3 of a programme started on STARTED."""


def pdf_text(body: bytes) -> str:
    """Every page's text with line breaks and runs of spaces made single spaces (and a word
    broken after its hyphen at a line's end joined up again)."""
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return re.sub(r"(\w)- (\w)", r"\1-\2", text)


def first_page_png(body: bytes, folder: Path, dpi: int) -> Path:
    """Page 1 drawn by pdftoppm, as a reviewer would see it printed."""
    needs("pdftoppm")
    (folder / "handout.pdf").write_bytes(body)
    target = folder / "handout-page-1"
    subprocess.run(
        [
            *("pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"),
            *(str(folder / "handout.pdf"), str(target)),
        ],
        check=True,
    )
    return target.with_suffix(".png")


def handout_of(client: Client, url: str = "/my-programme/handout.pdf") -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def exports_logged(patient: Any) -> list[tuple[Any, str]]:
    entries = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)
    return [(e.actor, e.additional_data["access"]) for e in entries]


def needs(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs poppler-utils")
        pytest.skip(f"{tool} is missing (apt-get install poppler-utils)")


# --- Content ------------------------------------------------------------------------------


def test_the_handout_has_every_exercise_and_its_dose(programme: Any) -> None:
    text = pdf_text(handout_of(web_client_for(programme.patient.user)))
    items = ProgrammeItem.objects.filter(phase__revision=programme.current_revision)
    assert items.count() > 10
    for item in items.select_related("exercise"):
        assert item.exercise.name in text
        assert describe_dose(item) in text, describe_dose(item)
    assert "3 sets of 10–15, once a day, every day" in text


def test_the_handout_names_the_clinic_the_therapist_the_patient_and_the_date(
    programme: Any, settings: Any
) -> None:
    settings.REHAB_CLINIC_NAME = "Riverside Physiotherapy"
    text = pdf_text(handout_of(web_client_for(programme.patient.user)))
    assert text.startswith("Riverside Physiotherapy")
    assert f"Your therapist {programme.patient.therapist.user.get_full_name()}" in text
    assert f"For {programme.patient.user.get_full_name()}" in text
    assert "Printed 20 November 2026" in text  # the patient's own date
    assert SIGN_IN in text.replace(" ", "")


def test_the_handout_has_the_same_sections_as_my_programme(programme: Any) -> None:
    text = pdf_text(handout_of(web_client_for(programme.patient.user)))
    mine = my_programme(programme, today=NOW.date())
    for phase in mine.phases:
        assert f"Phase {phase.position}: {phase.name}" in text
        for criterion in phase.progression_criteria:
            assert " ".join(criterion.split()) in text
    for plan in mine.ice_heat:
        for rule in plan.slot.safety_rules:
            assert rule in text
    assert "Stop and seek care" in text
    for sign in mine.warning_signs:
        assert " ".join(sign.flag.question.split()) in text
    for review in mine.reviews:
        assert f"{review.due_on:%A} {review.due_on.day} {review.due_on:%B %Y}" in text
    # Steps printed once, at the first phase with the exercise; later phases point back.
    assert "How to do it: as in phase 1" in text
    assert re.search(r"Stop and seek care \(page \d+\)", text)


def test_the_handout_leaves_out_everything_meant_for_clinicians(
    programme: Any, catalogue: Any
) -> None:
    text = pdf_text(handout_of(web_client_for(programme.patient.user)))
    assert problems(text, _slugs(catalogue)) == []
    for item in ProgrammeItem.objects.filter(phase__revision=programme.current_revision):
        if item.dose_notes:
            assert " ".join(item.dose_notes.split()) not in text


def test_a_paused_programme_is_printed_with_the_pause_first(programme: Any) -> None:
    report_red_flag(programme.patient, NOW)
    text = pdf_text(handout_of(web_client_for(programme.patient.user)))
    assert text.index("Programme paused: Get medical help today") < text.index("Phase 1:")


# --- The QR code --------------------------------------------------------------------------


def test_the_qr_code_leads_to_the_sign_in_page_and_holds_no_token(
    programme: Any, tmp_path: Path
) -> None:
    """Decoded from the printed page itself (pdftoppm, then zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    body = handout_of(web_client_for(programme.patient.user))
    (code,) = zxingcpp.read_barcodes(Image.open(first_page_png(body, tmp_path, dpi=200)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == SIGN_IN
    assert "?" not in code.text
    assert "token" not in code.text.lower()


def test_the_qr_code_is_made_from_the_sign_in_url_alone(programme: Any) -> None:
    import segno

    mine = my_programme(programme, today=NOW.date())
    page = handout_html(mine, sign_in_url=SIGN_IN)
    expected = segno.make(SIGN_IN, error="m").svg_data_uri(scale=4, border=2)
    assert f'src="{expected}"' in page


# --- The fetcher: our static files and data: URIs, nothing else ---------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/logo.png",
        "http://127.0.0.1:8000/static/css/rehab.css",
        "https://handout.invalid.example.com/static/css/handout.css",
        "file:///etc/passwd",
        f"{BASE_URL}etc/passwd",
        f"{BASE_URL}static/../../rehab/settings.py",
        f"{BASE_URL}static/%2e%2e/rehab/settings.py",
        f"{BASE_URL}static/css/handout.css?v=1",
        f"{BASE_URL}static/css/no-such-file.css",
        "ftp://example.com/x.css",
    ],
)
def test_the_fetcher_refuses_anything_but_our_static_files(url: str) -> None:
    with pytest.raises(RefusedURL):
        StaticFilesOnly().fetch(url)


def test_the_fetcher_serves_our_static_files_and_data_uris() -> None:
    css = StaticFilesOnly().fetch(f"{BASE_URL}static/css/handout.css")
    assert b"@page" in css.read()
    assert css.content_type == "text/css"
    assert StaticFilesOnly().fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert static_name(f"{BASE_URL}static/css/handout.css") == "css/handout.css"


@pytest.fixture
def outside_server() -> Iterator[tuple[str, list[str]]]:
    """A web server on this machine that records every request it is sent."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_a_document_naming_an_outside_url_renders_without_fetching_it(
    outside_server: tuple[str, list[str]],
) -> None:
    """The refusal happens before any connection: the server is never asked."""
    origin, asked = outside_server
    page = (
        f'<link rel="stylesheet" href="{origin}/evil.css">'
        f'<img src="{origin}/track.png" alt="">'
        f'<img src="file:///etc/hostname" alt=""><p>Heel raise</p>'
    )
    pdf = HTML(string=page, base_url=BASE_URL, url_fetcher=StaticFilesOnly()).write_pdf()
    assert "Heel raise" in pdf_text(pdf)
    assert asked == []
    # The same document with WeasyPrint's own fetcher does reach the server (the test works).
    HTML(string=page, base_url=BASE_URL).write_pdf()
    assert asked


# --- Who may print it, and the record of it -----------------------------------------------


def test_the_patient_prints_their_own_and_it_is_audited_and_not_cached(programme: Any) -> None:
    client = web_client_for(programme.patient.user)
    response = client.get(reverse("my_programme_handout"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == 'inline; filename="exercise-programme-2026-11-20.pdf"'
    assert exports_logged(programme.patient) == [(programme.patient.user, "export:handout")]


def test_the_therapist_prints_their_patients_handout_from_the_programme_page(
    programme: Any,
) -> None:
    therapist = programme.patient.therapist.user
    client = web_client_for(therapist)
    url = reverse("programme_handout", args=[programme.pk])
    assert (
        f'href="{url}"'
        in client.get(reverse("programme_adjust", args=[programme.pk])).content.decode()
    )
    text = pdf_text(handout_of(client, url))
    assert f"For {programme.patient.user.get_full_name()}" in text
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    assert exports_logged(programme.patient)[-1] == (therapist, "export:handout")


def test_no_one_else_gets_a_handout(programme: Any, colleague: Any, stranger: Any) -> None:
    url = reverse("programme_handout", args=[programme.pk])
    assert web_client_for(colleague.user).get(url).status_code == 404
    assert web_client_for(stranger.user).get(url).status_code == 404
    assert web_client_for(programme.patient.user).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page
    assert web_client_for(colleague.user).get(reverse("my_programme_handout")).status_code == 404
    # The stranger's own handout is their own programme, not this one.
    theirs = pdf_text(handout_of(web_client_for(stranger.user)))
    assert programme.patient.user.get_full_name() not in theirs
    assert exports_logged(programme.patient) == []


def test_there_is_no_handout_without_an_active_programme(patient: Any) -> None:
    assert web_client_for(patient.user).get(reverse("my_programme_handout")).status_code == 404
    programme = factories.prescribe(patient)
    end_programme(programme=programme, by=patient.therapist.user, now=NOW, reason="Discharged.")
    assert web_client_for(patient.user).get(reverse("my_programme_handout")).status_code == 404
    url = reverse("programme_handout", args=[programme.pk])
    assert web_client_for(patient.therapist.user).get(url).status_code == 404


# --- For review ---------------------------------------------------------------------------


def test_the_first_page_renders_to_an_image_for_review(programme: Any) -> None:
    """pdftoppm draws page 1 as a reviewer would see it printed (saved beside the browser
    tests' screenshots)."""
    from PIL import Image

    body = handout_of(web_client_for(programme.patient.user))
    assert len(PdfReader(io.BytesIO(body)).pages) >= 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(first_page_png(body, SHOTS, dpi=100))
    assert image.size == (827, 1170)  # A4 at 100 dpi
    ink = sum(image.convert("L").histogram()[:128])  # dark pixels
    assert ink > image.size[0] * image.size[1] // 100  # not a blank page
