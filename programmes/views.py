"""The programmes app's pages and files: the exercise figures and uploaded media, public
(catalogue content, no patient data), so an <img> on any page, the API's `media` URLs and the
PDF handout can load them; and the therapist's references page."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from programmes.figure_files import drawn_figures
from programmes.models import ExerciseMedia, Threshold, Timeframe
from programmes.selectors import INFERENCE, citations
from rehab.views import therapist_required

YEAR = 365 * 24 * 3600


@require_safe
def exercise_figure(request: HttpRequest, slug: str) -> HttpResponse:
    """The SVG of one figure. With the current `?v=` (its URL from `figure_media` or the
    template tag) it may be cached for a year; any other request only briefly."""
    drawn = drawn_figures().get(slug)
    if drawn is None:
        raise Http404("No such figure.")
    response = HttpResponse(drawn.svg, content_type="image/svg+xml")
    if request.GET.get("v") == drawn.version:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def exercise_media(request: HttpRequest, pk: str) -> FileResponse:
    """An uploaded photo or video, with the content type its checked format gives."""
    media = ExerciseMedia.objects.filter(pk=pk).first()
    if media is None or not media.file:
        raise Http404("No such file.")
    try:
        handle = media.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    response = FileResponse(handle, content_type=media.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = "inline"
    return response


@therapist_required
def references(request: HttpRequest) -> HttpResponse:
    """Every source id resolved to its citation, and the catalogue's numbers that are our
    own inference (with the reason each gives), so a clinician can check or sign them off.
    Therapists only: the citations and inferences are not for patients."""
    context = {
        "citations": list(citations().values()),
        "inferred_thresholds": [
            t for t in Threshold.objects.order_by("slug") if INFERENCE in t.sources
        ],
        "inferred_timeframes": [
            t for t in Timeframe.objects.order_by("after_days", "slug") if INFERENCE in t.sources
        ],
    }
    return render(request, "programmes/references.html", context)
