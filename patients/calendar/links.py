"""A calendar link's two addresses and its QR code, for the Reminders page and the API."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class CalendarLinks:
    https: str  # for Google Calendar's "From URL", Outlook, or any app that asks for one
    webcal: str  # opens "subscribe" in the phone's own calendar (iPhone, macOS, many Androids)

    def qr_svg(self) -> SafeString:
        """The webcal address as an inline SVG QR code (no script, no style attribute: CSP)."""
        code = segno.make(self.webcal, error="m")
        svg = code.svg_inline(
            scale=4, dark="#000", light="#fff", svgclass="qr", title="QR code of your link"
        )
        return mark_safe(svg)  # segno's own markup; the only text in it is the title above


def calendar_links(request: HttpRequest, secret: str) -> CalendarLinks:
    https = request.build_absolute_uri(reverse("calendar_feed", args=[secret]))
    return CalendarLinks(https=https, webcal="webcal://" + https.split("://", 1)[1])
