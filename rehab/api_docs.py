"""The API's live docs pages (/api/v1/docs/ Swagger UI, /api/v1/redoc/ Redoc), both from local
static files (drf-spectacular-sidecar), under the site's Content-Security-Policy.

Swagger UI keeps the strict policy whole: its init script is fetched from the same URL with
?script (drf-spectacular's split view) instead of being inline, and our template moves the
page's inline <style> to css/api-docs.css. It only adds data: images (the icons in
swagger-ui.css).

Redoc renders through styled-components, which inserts <style> elements at run time, and
starts its search index in a blob: web worker; so that page alone adds 'unsafe-inline' to
style-src (never to script-src) and blob: to worker-src."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


class RedocDocsView(SpectacularRedocView):
    template_name = "api/redoc.html"


SWAGGER_CSP: dict[str, list[str]] = {"img-src": ["data:"]}
REDOC_CSP: dict[str, list[str]] = {
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "worker-src": ["blob:"],
}

swagger_ui: Any = csp_update(SWAGGER_CSP)(SwaggerDocsView.as_view(url_name="api:schema"))
redoc: Any = csp_update(REDOC_CSP)(RedocDocsView.as_view(url_name="api:schema"))
