"""Patient-facing text is plain (house rule 3; F39, walk-through 1): no source ids, no
"inference", no catalogue slugs and no clinician jargon in anything a patient reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from programmes.knowledge import Catalogue, DoseSpec
from programmes.models import IceHeatRule, RedFlag
from programmes.text import describe_dose
from tests import factories

pytestmark = pytest.mark.django_db

SOURCE_ID = re.compile(r"\[?\b(R\d+[a-z]?|SEED-\d{3})\b\]?")
# Words a patient should not have to decode. "RM" is the strength-training repetition maximum
# ("15RM"); "trial" and "inference" betray an evidence note; the rest are anatomy jargon.
CLINICIAN_TERMS = re.compile(
    r"end-range|plantarflex|dorsiflex|(?-i:\d*\s?RM\b)|inference|\btrials?\b|\bMVC\b|maximal|"
    r"eccentric|isometric|propriocept",
    re.IGNORECASE,
)


def problems(text: str, slugs: frozenset[str]) -> list[str]:
    found = [m.group(0) for m in SOURCE_ID.finditer(text)]
    found += [m.group(0) for m in CLINICIAN_TERMS.finditer(text)]
    found += [slug for slug in slugs if re.search(rf"\b{re.escape(slug)}\b", text)]
    return found


def _slugs(catalogue: Catalogue) -> frozenset[str]:
    # Only slugs with an underscore: one-word slugs ("haglunds") are ordinary words.
    every = {*catalogue.exercises, *catalogue.conditions, *catalogue.protocols}
    return frozenset(s for s in every if "_" in s)


def _patient_dose(dose: DoseSpec) -> str:
    return describe_dose(dose)


def patient_texts(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of catalogue text a patient can read."""
    from programmes.models import Exercise

    for exercise in Exercise.objects.all():
        yield f"{exercise.slug} name", exercise.name
        for step in exercise.instructions:
            yield f"{exercise.slug} instructions", step
        for key, texts in exercise.patient_cautions.items():
            for text in texts:
                yield f"{exercise.slug} patient_cautions[{key}]", text
        yield f"{exercise.slug} dose", _patient_dose(catalogue.exercises[exercise.slug].dose)
    for protocol in catalogue.protocols.values():
        for phase in protocol.phases:
            where = f"{protocol.slug} phase {phase.position}"
            yield f"{where} name", phase.name
            for text in (*phase.goals, *phase.advice):
                yield f"{where} goals/advice", text
            for item in phase.items:
                dose = catalogue.exercises[item.exercise].dose.overridden_by(item.dose)
                yield f"{where} {item.exercise} dose", _patient_dose(dose)
    for condition in catalogue.conditions.values():
        yield f"{condition.slug} name", condition.name
    for rule in IceHeatRule.objects.all():
        for text in rule.safety_rules:
            yield f"ice/heat {rule.modality}", text
    for flag in RedFlag.objects.all():
        yield f"red flag {flag.slug} question", flag.question
        yield f"red flag {flag.slug} advice", flag.advice


def test_no_patient_facing_catalogue_text_has_sources_slugs_or_jargon(catalogue: Catalogue) -> None:
    """F39 / house rule 3: walks every exercise, protocol, ice/heat rule and red flag."""
    slugs = _slugs(catalogue)
    bad = {
        where: found for where, text in patient_texts(catalogue) if (found := problems(text, slugs))
    }
    assert bad == {}


def test_the_checker_catches_what_it_should(catalogue: Catalogue) -> None:
    slugs = _slugs(catalogue)
    for text in (
        "Use ecc_heel_drop_floor instead",
        "Hold 45 s [R9]",
        "From SEED-002.",
        "Held in mid-range (inference).",
        "Avoid end-range plantarflexion.",
        "load: 15RM",
    ):
        assert problems(text, slugs), text
    assert problems("Lift your heel halfway, then lower it slowly.", slugs) == []


def test_a_patient_sees_only_their_own_conditions_cautions() -> None:
    from programmes.models import Exercise

    raise_ = Exercise.objects.get(slug="heel_raise_two_leg_floor")
    assert raise_.patient_cautions_for("achilles_midportion") == []
    assert raise_.patient_cautions_for("posterior_ankle_impingement") != []


@pytest.mark.parametrize(
    "condition", ["achilles_midportion", "achilles_insertional", "posterior_ankle_impingement"]
)
def test_today_shows_only_plain_text_to_the_patient(
    patient: Any, catalogue: Catalogue, condition: str
) -> None:
    """F39 / walk-through 1: the rendered Today page, with every "How to do it" in it."""

    factories.prescribe(patient, factories.answered_intake(condition, cleared=True))
    client = Client()
    client.force_login(patient.user)
    page = client.get(reverse("today")).content.decode()
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main)
    assert problems(text, _slugs(catalogue)) == []


def test_the_patient_api_leaves_out_clinician_notes(patient: Any, catalogue: Catalogue) -> None:
    from rest_framework.test import APIClient

    factories.prescribe(patient)
    client = APIClient()
    client.force_authenticate(patient.user)
    body = client.get("/api/v1/programme/").json()
    for phase in body["phases"]:
        for item in phase["items"]:
            assert item["exercise"]["cautions"] == ""
            assert item["dose_notes"] == ""
            assert item["sources"] == []
            for text in [*item["exercise"]["instructions"], *item["exercise"]["patient_cautions"]]:
                assert problems(text, _slugs(catalogue)) == []


@pytest.mark.parametrize(
    "condition", ["achilles_midportion", "achilles_insertional", "posterior_ankle_impingement"]
)
@pytest.mark.parametrize("url", ["/api/v1/today/", "/api/v1/programme/"])
def test_no_patient_api_response_carries_a_source_id_or_clinician_note(
    patient: Any, condition: str, url: str
) -> None:
    """F39: the whole JSON a patient's app reads, Today included (its items, ice/heat and
    phases): no source id or "inference" anywhere, no clinician caution or dose note."""
    import json

    from rest_framework.test import APIClient

    factories.prescribe(patient, factories.answered_intake(condition, cleared=True))
    client = APIClient()
    client.force_authenticate(patient.user)
    body = client.get(url).json()
    dumped = json.dumps(body)
    assert SOURCE_ID.findall(dumped) == []
    assert "inference" not in dumped.lower()
    items = [i for p in body.get("phases", []) for i in p["items"]]
    items += [i for s in body.get("sessions", []) for i in s["items"]]
    assert items
    for item in items:
        assert item["exercise"]["cautions"] == ""
        assert item["dose_notes"] == ""


def test_today_and_the_programme_give_the_same_cautions_for_the_patients_condition(
    patient: Any,
) -> None:
    """F39: the condition's own cautions reach the patient on Today as on the programme."""
    from rest_framework.test import APIClient

    factories.prescribe(
        patient, factories.answered_intake("achilles_insertional", irritability="high")
    )
    client = APIClient()
    client.force_authenticate(patient.user)
    programme = client.get("/api/v1/programme/").json()
    today = client.get("/api/v1/today/").json()
    wanted = {
        i["exercise"]["slug"]: i["exercise"]["patient_cautions"]
        for p in programme["phases"]
        for i in p["items"]
    }
    shown = {
        i["exercise"]["slug"]: i["exercise"]["patient_cautions"]
        for s in today["sessions"]
        for i in s["items"]
    }
    assert shown
    assert any(shown.values())
    for slug, cautions in shown.items():
        assert cautions == wanted[slug]


def test_the_exercise_catalogue_api_gives_a_patient_no_clinician_notes(
    patient: Any, catalogue: Catalogue
) -> None:
    """F39: the catalogue endpoints are readable by patients too."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(patient.user)
    body = client.get("/api/v1/exercises/", {"page_size": 100}).json()
    assert body["results"]
    for exercise in body["results"]:
        assert exercise["cautions"] == ""
        assert exercise["dose"]["dose_notes"] == ""
        for texts in exercise["patient_cautions"].values():
            for text in texts:
                assert problems(text, _slugs(catalogue)) == []
    one = client.get("/api/v1/exercises/stretch_gastroc_wall/").json()
    assert one["cautions"] == ""


def test_the_exercise_catalogue_api_keeps_clinician_notes_for_therapists(
    patient: Any,
) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(patient.therapist.user)
    one = client.get("/api/v1/exercises/stretch_gastroc_wall/").json()
    assert "R30" in one["dose"]["dose_notes"]
