"""The exercise figures (issue 15): every exercise names one; each is well-formed SVG within
the size budget, with no words, no style or script, the working leg striped as well as
coloured, and a drawing that exaggerates the key point (knee straight or bent, heel below the
step)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml

from programmes.catalogue_files import CATALOGUE_DIR
from programmes.figure_files import drawn_figures, read_figures
from programmes.figures import MAX_BYTES, FigureError, parse_figures, render, side_body
from tests.programmes.test_patient_text import problems

SVG = "{http://www.w3.org/2000/svg}"
FIGURES = read_figures()
EXERCISES = yaml.safe_load((CATALOGUE_DIR / "exercises.yaml").read_text(encoding="utf-8"))
# Still figures: nothing moves (a pack resting on the ankle), so no arrow.
STILL = {"ice_pack", "heat_pack"}


def test_every_exercise_in_the_catalogue_names_a_figure_that_exists() -> None:
    missing = [e["slug"] for e in EXERCISES if not e.get("figure")]
    unknown = [e["slug"] for e in EXERCISES if e.get("figure") and e["figure"] not in FIGURES]
    assert missing == [], f"exercises without a figure: {missing}"
    assert unknown == [], f"exercises naming no known figure: {unknown}"


@pytest.mark.django_db
def test_every_loaded_exercise_has_a_figure() -> None:
    from programmes.models import Exercise

    assert Exercise.objects.count() == len(EXERCISES)
    assert not Exercise.objects.filter(figure="").exists()


def test_every_figure_is_used_by_an_exercise() -> None:
    used = {e["figure"] for e in EXERCISES}
    assert set(FIGURES) - used == set()


@pytest.mark.parametrize("slug", sorted(FIGURES))
def test_each_figure_renders_to_small_well_formed_svg_without_words_style_or_script(
    slug: str,
) -> None:
    svg = render(FIGURES[slug])
    assert len(svg.encode()) <= MAX_BYTES, f"{slug}: {len(svg.encode())} bytes"
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    # No words inside (nothing to translate), nothing the CSP refuses, nothing fetched.
    assert tags.isdisjoint({"text", "tspan", "textPath", "style", "script", "foreignObject"})
    assert tags.isdisjoint({"image", "use", "a"})
    for element in root.iter():
        assert "style" not in element.attrib, f"{slug}: style attribute on {element.tag}"
        assert not [a for a in element.attrib if a.lower().startswith("on")]
        assert not (element.text or "").strip(), f"{slug}: text in {element.tag}"
    assert "url(" not in svg.replace(f"url(#{slug}-w)", "")


@pytest.mark.parametrize("slug", sorted(FIGURES))
def test_the_working_leg_is_striped_as_well_as_coloured(slug: str) -> None:
    root = ET.fromstring(render(FIGURES[slug]))
    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    assert pattern is not None
    assert pattern.get("id") == f"{slug}-w"
    fills = {rect.get("fill") for rect in pattern.iter(f"{SVG}rect")}
    assert len(fills) == 2, "a coloured ground with white stripes"
    striped = [e for e in root.iter() if e.get("fill") == f"url(#{slug}-w)"]
    assert len(striped) >= 1, "no shape uses the striped pattern"


@pytest.mark.parametrize("slug", sorted(FIGURES))
def test_each_figure_has_plain_alt_text_and_an_arrow_unless_still(slug: str) -> None:
    figure = FIGURES[slug]
    assert figure.alt.endswith(".")
    assert len(figure.alt) >= 40
    assert problems(figure.alt, frozenset()) == []
    assert "striped" in figure.alt.lower(), "the alt text names the working leg as drawn"
    if slug not in STILL:
        assert figure.arrows, f"{slug}: no arrow for the movement"
        svg = render(figure)
        assert "#1d4ed8" in svg  # the arrow colour


def _angle_at(b: dict[str, tuple[float, float]], a: str, joint: str, c: str) -> float:
    (ax, ay), (jx, jy), (cx, cy) = b[a], b[joint], b[c]
    v, w = (ax - jx, ay - jy), (cx - jx, cy - jy)
    cos = (v[0] * w[0] + v[1] * w[1]) / (math.hypot(*v) * math.hypot(*w))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


@pytest.mark.parametrize(
    ("slug", "knee"),
    [
        ("step_drop_knee_straight", "straight"),
        ("step_drop_weighted", "straight"),
        ("step_drop_knee_bent", "bent"),
    ],
)
def test_step_drops_show_the_heel_below_the_step_and_the_knee_plainly(slug: str, knee: str) -> None:
    start, end = (side_body(frame).points for frame in FIGURES[slug].frames)
    step_top = -30
    assert start["near.heel"][1] < step_top, "the start is up on tiptoe, heel above the step"
    assert end["near.heel"][1] > step_top + 10, "the heel ends well below the step's top"
    angle = _angle_at(end, "hip", "near.knee", "near.ankle")
    if knee == "straight":
        assert angle > 175
    else:
        assert angle < 140, f"the bend must be plain to see, not {angle:.0f} degrees"


@pytest.mark.parametrize(
    ("slug", "knee"),
    [("wall_stretch_knee_straight", "straight"), ("wall_stretch_knee_bent", "bent")],
)
def test_wall_stretches_keep_the_back_heel_down_and_exaggerate_the_knee(
    slug: str, knee: str
) -> None:
    end = side_body(FIGURES[slug].frames[1]).points
    assert abs(end["near.heel"][1]) < 1, "the back heel stays on the floor"
    assert abs(end["near.ball"][1]) < 1
    assert end["near.heel"][0] < end["far.heel"][0], "the painful leg is the back one"
    angle = _angle_at(end, "hip", "near.knee", "near.ankle")
    assert angle > 175 if knee == "straight" else angle < 130


def test_the_floor_lowering_never_goes_below_the_floor() -> None:
    end = side_body(FIGURES["floor_lowering"].frames[1]).points
    assert max(end["near.heel"][1], end["near.ball"][1]) <= 0.5


def test_drawn_figures_carry_a_version_that_changes_with_the_drawing() -> None:
    drawn = drawn_figures()
    assert set(drawn) == set(FIGURES)
    one = drawn["knee_to_wall"]
    assert re.fullmatch(r"[0-9a-f]{12}", one.version)
    assert one.url.endswith(f"/exercises/figures/knee_to_wall.svg?v={one.version}")
    assert one.width > 0
    assert one.height > 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"figures": [{"slug": "a", "start": {}, "end": {}}]}, "needs an alt text"),
        ({"figures": [{"slug": "a", "alt": "x", "end": {}}]}, "needs a start and an end"),
        ({"figures": [{"slug": "a", "alt": "x", "start": {"pose": "nope"}, "end": {}}]}, "pose"),
        ({"figures": [{"slug": "a", "alt": "x", "view": "front", "start": {}, "end": {}}]}, "view"),
        ({"nope": []}, "figures"),
    ],
)
def test_malformed_figure_data_is_refused_with_its_reason(data: Any, message: str) -> None:
    with pytest.raises(FigureError, match=message):
        parse_figures(data)


def test_an_unknown_prop_or_point_is_refused_by_name() -> None:
    base = {"slug": "a", "alt": "x", "start": {}, "end": {}}
    with pytest.raises(FigureError, match="unknown prop 'sofa'"):
        render(parse_figures({"figures": [{**base, "props": [{"kind": "sofa"}]}]})["a"])
    bad_point = {**base, "arrows": [{"from": "end:near.elbbow", "to": "end:hip"}]}
    with pytest.raises(FigureError, match="unknown point"):
        render(parse_figures({"figures": [bad_point]})["a"])
