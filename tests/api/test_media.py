"""`media` on exercises and programme items (issue 15): our figure first, with its URL and
alt text, then any photo or video the clinic uploaded, with its credit."""

from __future__ import annotations

from io import StringIO
from typing import Any

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from programmes.figure_files import drawn_figures
from programmes.models import Exercise, ExerciseMedia

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _figure_of(slug: str) -> Any:
    return drawn_figures()[Exercise.objects.get(slug=slug).figure]


def test_an_exercise_carries_its_figure_with_url_and_alt(as_patient: Any) -> None:
    body = as_patient.get("/api/v1/exercises/mob_knee_to_wall/").json()
    drawn = _figure_of("mob_knee_to_wall")
    assert body["media"] == [
        {
            "kind": "figure",
            "url": drawn.url,
            "alt": drawn.alt,
            "content_type": "image/svg+xml",
            "width": drawn.width,
            "height": drawn.height,
            "licence": "",
            "author": body["media"][0]["author"],
            "source_url": "",
        }
    ]
    # The URL serves the drawing itself, cacheable for a year at this version.
    response = as_patient.get(drawn.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "immutable" in response["Cache-Control"]
    assert response.content.decode() == drawn.svg


def test_every_exercise_in_the_list_has_a_figure(as_patient: Any) -> None:
    body = as_patient.get("/api/v1/exercises/?page_size=100").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows
    assert all(row["media"][0]["kind"] == "figure" for row in rows)


def test_programme_and_today_items_carry_media(as_patient: Any, programme: Any) -> None:
    programme_body = as_patient.get("/api/v1/programme/").json()
    items = [item for phase in programme_body["phases"] for item in phase["items"]]
    today_items = as_patient.get("/api/v1/today/").json()["sessions"][0]["items"]
    for item in [*items, *today_items]:
        media = item["exercise"]["media"]
        assert media[0]["kind"] == "figure"
        assert media[0]["alt"]
        assert media[0]["url"].startswith("/exercises/figures/")


def test_an_uploaded_photo_follows_the_figure_with_its_credit(
    as_patient: Any, programme: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    exercise = Exercise.objects.get(slug="mob_knee_to_wall")
    photo = ExerciseMedia(
        exercise=exercise,
        kind="photo",
        file=SimpleUploadedFile("knee.png", PNG, content_type="image/png"),
        alt="A person kneeling forward towards a wall.",
        licence="CC-BY 4.0",
        author="Example Clinic",
        source_url="https://example.org/knee",
    )
    photo.full_clean()
    photo.save()
    media = as_patient.get("/api/v1/exercises/mob_knee_to_wall/").json()["media"]
    assert [m["kind"] for m in media] == ["figure", "photo"]
    assert media[1]["alt"] == "A person kneeling forward towards a wall."
    assert (media[1]["author"], media[1]["licence"]) == ("Example Clinic", "CC-BY 4.0")
    assert media[1]["source_url"] == "https://example.org/knee"
    served = as_patient.get(media[1]["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_the_schema_declares_media(db: None) -> None:
    out = StringIO()
    call_command("spectacular", stdout=out, stderr=StringIO())
    schema = yaml.safe_load(out.getvalue())
    components = schema["components"]["schemas"]
    assert set(components["MediaOutput"]["properties"]) >= {"kind", "url", "alt", "licence"}
    exercise = components["ExerciseOutput"]["properties"]["media"]
    assert exercise["items"]["$ref"].endswith("/MediaOutput")
    item_exercise = components["ItemExerciseOutput"]["properties"]["media"]
    assert item_exercise["items"]["$ref"].endswith("/MediaOutput")


def test_deleting_an_upload_removes_its_file(
    settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any, db: None
) -> None:
    settings.MEDIA_ROOT = tmp_path
    photo = ExerciseMedia.objects.create(
        exercise=Exercise.objects.get(slug="mob_knee_to_wall"),
        kind="photo",
        file=SimpleUploadedFile("knee.png", PNG),
        alt="A knee to a wall.",
        licence="own work",
        author="Example Clinic",
    )
    path = tmp_path / photo.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert not path.exists()
