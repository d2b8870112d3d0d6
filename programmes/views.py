"""The therapist's reference page: what each source id and INFERENCE on their pages means."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programmes.models import Threshold, Timeframe
from programmes.selectors import INFERENCE, citations
from rehab.views import therapist_required


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
