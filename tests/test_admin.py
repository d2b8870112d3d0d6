"""The Django admin: every page renders for clinic staff; the catalogue is editable there and
the planner follows the edit; prescribed revisions are read-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from programmes.models import Exercise, ExerciseMedia, ProgrammeRevision
from programmes.planner import Intake, ProgrammePlan, plan
from programmes.selectors import catalogue_snapshot, media_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(patient: Any) -> Client:
    factories.prescribe(patient)
    Group.objects.create(name="Clinic staff")
    user = get_user_model().objects.create_superuser("clinic.admin", "a@example.org", "pw-12345")
    client = Client()
    factories.sign_in(client, user)
    return client


def _url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Our own apps; third-party admins (tokens, lockout records) are tested by their projects.
OWN_APPS = {"auth", "programmes", "patients", "rehab"}


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in OWN_APPS],
    ids=lambda m: f"{m._meta.app_label}.{m._meta.model_name}",
)
def test_every_admin_page_renders(staff_client: Client, model: Any) -> None:
    assert staff_client.get(_url(model, "changelist")).status_code == 200
    obj = model._default_manager.first()
    assert obj is not None, f"no {model.__name__} row to open"
    assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(_Request(staff_client)):
        assert staff_client.get(_url(model, "add")).status_code == 200


class _Request:
    def __init__(self, client: Client) -> None:
        self.user = get_user_model().objects.get(username="clinic.admin")


def _form_data(exercise: Exercise) -> dict[str, Any]:
    return {
        key: json.dumps(value)
        if isinstance(value, (list, dict))
        else ("" if value is None else value)
        for key, value in model_to_dict(exercise).items()
    } | {  # the photos-and-videos inline, empty
        "media-TOTAL_FORMS": "0",
        "media-INITIAL_FORMS": "0",
        "media-MIN_NUM_FORMS": "0",
        "media-MAX_NUM_FORMS": "1000",
    }


def _with_upload(exercise: Exercise, upload: Any, **fields: str) -> dict[str, Any]:
    return _form_data(exercise) | {
        "media-TOTAL_FORMS": "1",
        "media-0-kind": "photo",
        "media-0-file": upload,
        "media-0-alt": "Knee forward to the wall, heel down.",
        "media-0-author": "Example Clinic",
        "media-0-licence": "own work",
        "media-0-source_url": "",
        "media-0-position": "0",
        **{f"media-0-{k}": v for k, v in fields.items()},
    }


def test_staff_upload_a_photo_with_its_credit_and_patients_see_it(
    staff_client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    exercise = Exercise.objects.get(slug="mob_knee_to_wall")
    png = SimpleUploadedFile("knee.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    response = staff_client.post(_url(Exercise, "change", exercise.pk), _with_upload(exercise, png))
    assert response.status_code == 302
    media = ExerciseMedia.objects.get(exercise=exercise)
    assert (media.kind, media.author, media.licence) == ("photo", "Example Clinic", "own work")
    assert media_for(exercise)[1]["url"] == reverse("exercise_media", args=[media.pk])


@pytest.mark.parametrize(
    ("name", "content", "kind", "message"),
    [
        ("knee.png", b"<svg onload=alert(1)>", "photo", "not really a .png"),
        ("knee.svg", b"<svg/>", "photo", "must be one of: jpeg, jpg, png, webp"),
        ("knee.mp4", b"\x89PNG\r\n\x1a\n", "video", "not really a .mp4"),
        ("knee.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "photo", "at most 2 MB"),
    ],
)
def test_an_upload_of_the_wrong_kind_or_size_is_refused_beside_the_field(
    staff_client: Client,
    settings: Any,
    tmp_path: Any,
    name: str,
    content: bytes,
    kind: str,
    message: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    exercise = Exercise.objects.get(slug="mob_knee_to_wall")
    upload = SimpleUploadedFile(name, content)
    data = _with_upload(exercise, upload, kind=kind)
    response = staff_client.post(_url(Exercise, "change", exercise.pk), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExerciseMedia.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_figure_gallery_shows_every_exercise_with_its_figure(staff_client: Client) -> None:
    page = staff_client.get(reverse("admin:programmes_exercise_figures")).content.decode()
    for exercise in Exercise.objects.all():
        assert exercise.name in page
        assert f"/exercises/figures/{exercise.figure}.svg?v=" in page
    change = staff_client.get(_url(Exercise, "change", Exercise.objects.first().pk))
    assert "Figure as patients see it" in change.content.decode()


def test_editing_an_exercise_in_the_admin_changes_what_is_planned(staff_client: Client) -> None:
    # The Silbernagel first phase inherits the wall stretch's default dose from the exercise.
    exercise = Exercise.objects.get(slug="stretch_gastroc_wall")
    before = exercise.reps
    data = _form_data(exercise) | {"reps": before - 1}
    response = staff_client.post(_url(Exercise, "change", exercise.pk), data)
    assert response.status_code == 302

    result = plan(Intake(condition="achilles_midportion"), catalogue_snapshot())
    assert isinstance(result, ProgrammePlan)
    stretch = next(i for i in result.phases[0].items if i.exercise == "stretch_gastroc_wall")
    assert stretch.dose.reps == before - 1


def test_an_unknown_movement_tag_is_refused_in_the_admin(staff_client: Client) -> None:
    exercise = Exercise.objects.get(slug="mob_ankle_pumps")
    data = _form_data(exercise) | {"movement_tags": json.dumps(["tiptoe"])}
    response = staff_client.post(_url(Exercise, "change", exercise.pk), data)
    assert response.status_code == 200
    assert "Unknown movement tags: tiptoe" in response.content.decode()
    assert Exercise.objects.get(pk=exercise.pk).movement_tags == ["end_range_plantarflexion"]


def test_revisions_cannot_be_changed_or_deleted_in_the_admin(staff_client: Client) -> None:
    revision = ProgrammeRevision.objects.first()
    assert revision is not None
    page = staff_client.get(_url(ProgrammeRevision, "change", revision.pk)).content.decode()
    assert 'name="_save"' not in page
    response = staff_client.post(_url(ProgrammeRevision, "delete", revision.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ProgrammeRevision.objects.filter(pk=revision.pk).exists()
