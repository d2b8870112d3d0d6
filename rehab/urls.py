from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("", include("patients.urls")),
    path("api/v1/", include("rehab.api_urls")),
    path("admin/", admin.site.urls),
]
