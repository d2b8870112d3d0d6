"""The exercise figures as the app serves them: `catalogue/figures.yaml` read once per
process, each figure drawn once (`programmes.figures`, pure) and addressed by a URL that
carries a hash of its drawing, so browsers may cache it for a year.

What other code uses (the handout, the pages, the API):
- `figure_svg(exercise_slug_or_figure)`: the SVG document of an exercise's figure;
- `figure_media(exercise)`: its `media` entry ({kind, url, alt, width, height, …});
- the `{% exercise_figure exercise %}` tag (programmes/templatetags/figures.py).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.urls import reverse

from programmes.catalogue_files import CATALOGUE_DIR
from programmes.figures import Figure, parse_figures, render

FIGURES_FILE = CATALOGUE_DIR / "figures.yaml"
# Our own drawings; the licence is the repository's (see README: none chosen yet).
FIGURE_AUTHOR = "Drawn for this app from the catalogue's joint angles"

_lock = threading.Lock()


@dataclass(frozen=True)
class DrawnFigure:
    slug: str
    alt: str
    svg: str
    width: int
    height: int
    version: str  # a hash of the drawing: part of the URL, so a changed drawing is a new URL

    @property
    def url(self) -> str:
        return f"{reverse('exercise_figure', args=[self.slug])}?v={self.version}"


def read_figures(path: Path = FIGURES_FILE) -> dict[str, Figure]:
    with path.open(encoding="utf-8") as handle:
        return parse_figures(yaml.safe_load(handle))


@cache
def drawn_figures() -> dict[str, DrawnFigure]:
    """Every figure drawn, once per process (about 40 small SVGs; no database)."""
    with _lock:
        out = {}
        for slug, figure in read_figures().items():
            svg = render(figure)
            head = svg[: svg.index(">")]
            width = round(float(head.split('width="')[1].split('"')[0]))
            height = round(float(head.split('height="')[1].split('"')[0]))
            version = hashlib.sha256(svg.encode()).hexdigest()[:12]
            out[slug] = DrawnFigure(slug, figure.alt, svg, width, height, version)
        return out


def figure_of(exercise: Any) -> DrawnFigure | None:
    """The drawn figure an exercise names (`Exercise.figure`), or None."""
    return drawn_figures().get(getattr(exercise, "figure", "") or "")


def figure_svg(exercise_or_slug: Any) -> str:
    """The SVG document for an exercise (a model instance, or its slug: one query), or a
    figure slug; "" when it has none. For the handout: embed it inline or as a data: URL."""
    if isinstance(exercise_or_slug, str):
        figures = drawn_figures()
        if exercise_or_slug in figures:
            return figures[exercise_or_slug].svg
        from programmes.models import Exercise

        exercise_or_slug = Exercise.objects.filter(slug=exercise_or_slug).first()
    drawn = figure_of(exercise_or_slug)
    return drawn.svg if drawn else ""


def figure_media(exercise: Any) -> dict[str, Any] | None:
    """The figure as an API `media` entry (no query: the figure name is on the row)."""
    drawn = figure_of(exercise)
    if drawn is None:
        return None
    return {
        "kind": "figure",
        "url": drawn.url,
        "alt": drawn.alt,
        "content_type": "image/svg+xml",
        "width": drawn.width,
        "height": drawn.height,
        "licence": "",
        "author": FIGURE_AUTHOR,
        "source_url": "",
    }
