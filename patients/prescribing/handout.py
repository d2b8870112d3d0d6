"""The printed programme handout: My programme as a PDF (WeasyPrint), from our own print
template (`patients/handout.html`, which shares its content with the page), with a QR code
that leads to the sign-in page.

WeasyPrint fetches every stylesheet, image and font a document names. Its fetcher here
(`StaticFilesOnly`) reads our own static files from disk and decodes `data:` URIs, and
refuses everything else — another host, `file:`, a path outside the static folders — so a
rendered handout never reaches the network or the server's other files, whatever a template
or a piece of catalogue text might come to name."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from patients.prescribing.selectors import MyProgramme

# The address relative URLs in the print template resolve against. ".invalid" can never
# resolve (RFC 2606), and the fetcher maps this origin's static paths to files on disk.
BASE_URL = "https://handout.invalid/"


class RefusedURL(ValueError):
    """A URL the handout may not fetch (WeasyPrint leaves the resource out and logs it)."""


def static_name(url: str) -> str | None:
    """The static file a URL names (`https://handout.invalid/static/css/x.css` → `css/x.css`),
    or None when it names anything else (another origin, a query, a climb out with `..`)."""
    prefix = urljoin(BASE_URL, settings.STATIC_URL)
    if not url.startswith(prefix):
        return None
    parts = urlsplit(url)
    name = unquote(parts.path[len(urlsplit(prefix).path) :])
    path = PurePosixPath(name)
    if parts.query or not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        return None
    return name


def static_bytes(name: str) -> bytes | None:
    """A static file's content: from the app folders (by its own name), else from the
    collected files (a hashed production name). None when there is no such file."""
    found = finders.find(name)
    if isinstance(found, str):
        with open(found, "rb") as handle:
            return handle.read()
    if staticfiles_storage.exists(name):
        with staticfiles_storage.open(name) as handle:
            return bytes(handle.read())
    return None


class StaticFilesOnly(URLFetcher):
    """WeasyPrint's fetcher, limited to our static files and `data:` URIs."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        name = static_name(url)
        body = static_bytes(name) if name is not None else None
        if body is None:
            raise RefusedURL(f"The handout may only use our static files, not {url[:200]!r}.")
        content_type = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, headers={"Content-Type": content_type})


def qr_code(url: str) -> str:
    """A QR code for `url` as an SVG `data:` URI (scaled up to print crisply)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def handout_html(mine: MyProgramme, *, sign_in_url: str) -> str:
    """The print template filled in. `sign_in_url` goes into the QR code as it is: the plain
    sign-in page, never a token or a one-time link (a lost sheet must not sign anyone in)."""
    context = {"mine": mine, "for_print": True, "sign_in_url": sign_in_url}
    context["qr"] = qr_code(sign_in_url)
    return render_to_string("patients/handout.html", context)


def handout_pdf(mine: MyProgramme, *, sign_in_url: str) -> bytes:
    html = handout_html(mine, sign_in_url=sign_in_url)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly())
    return bytes(document.write_pdf())
