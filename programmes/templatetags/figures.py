"""`{% load figures %}{% exercise_figure exercise %}`: an exercise's figure (and any photo or
video the clinic added, with its credit) for any page; `size` is "large" (beside the steps),
"small" (a thumbnail next to a name, hidden from screen readers as the name says it) or
"print"."""

from __future__ import annotations

from typing import Any

from django import template

from programmes.selectors import media_for

register = template.Library()


@register.inclusion_tag("programmes/_figure.html")
def exercise_figure(exercise: Any, size: str = "large") -> dict[str, Any]:
    media = media_for(exercise) if exercise is not None else []
    if size == "small":  # a thumbnail: the figure only
        media = [m for m in media if m["kind"] == "figure"][:1]
    return {"media": media, "size": size}
