from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from rehab import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("programmes/", include("programmes.urls")),
    path("api/v1/", include("rehab.api_urls")),
    path("admin/", admin.site.urls),
]

# A lost database connection outside the API's handler: a 503 page, never a traceback.
handler500 = "rehab.views.server_error"
