"""The REST API, version 1, mounted at /api/v1/. Live docs: /api/v1/docs/ (Swagger UI) and
/api/v1/redoc/, both from local static files; the OpenAPI 3 schema at /api/v1/schema/.

Each app lists its own endpoints (patients/api_urls.py, programmes/api_urls.py); this module
adds accounts and the contract, and the JSON 404 for anything else."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from rehab import api_auth as auth
from rehab import api_docs
from rehab.api import not_found

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    # Accounts and tokens
    path("auth/login/", auth.LoginApi.as_view(), name="login"),
    path("auth/login/code/", auth.LoginCodeApi.as_view(), name="login-code"),
    # auth/logout/ is in patients/api_urls.py: it also removes the device's push registration.
    path("auth/logout-all/", auth.LogoutAllApi.as_view(), name="logout-all"),
    path("", include("patients.api_urls")),
    path("", include("programmes.api_urls")),
    # The contract
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api_docs.swagger_ui, name="docs"),
    path("redoc/", api_docs.redoc, name="redoc"),
    # Last: anything else under /api/v1/ (a malformed id included) is a JSON 404.
    re_path(r"^", not_found, name="not-found"),
]
