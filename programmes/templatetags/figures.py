"""`{% load figures %}{% exercise_figure exercise %}`: an exercise's figure (and any photo or
video the clinic added, with its credit) for any page; `size` is "large" (beside the steps),
"small" (a thumbnail next to a name, hidden from screen readers as the name says it) or
"print"."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from programmes.figure_files import figure_of
from programmes.selectors import media_for

register = template.Library()


@register.inclusion_tag("programmes/_figure.html")
def exercise_figure(exercise: Any, size: str = "large") -> dict[str, Any]:
    media = media_for(exercise) if exercise is not None else []
    if size == "small":  # a thumbnail: the figure only
        media = [m for m in media if m["kind"] == "figure"][:1]
    return {"media": media, "size": size}


@register.simple_tag
def exercise_figure_svg(exercise: Any) -> SafeString:
    """The figure itself as inline SVG markup, labelled with its alt text: for a document that
    cannot fetch URLs (the PDF handout). Our own drawing, so safe to inline; "" if none."""
    drawn = figure_of(exercise)
    if drawn is None:
        return mark_safe("")
    label = f'<svg role="img" aria-label="{escape(drawn.alt)}" '
    return mark_safe(drawn.svg.replace("<svg ", label, 1))
