from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rehab import health, views
from rehab.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("more/", views.more, name="more"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    # Before Django's auth URLs: the sign-in form that checks the username's length.
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("programmes/", include("patients.prescribing.urls")),
    path("", include("programmes.urls")),
    path("api/v1/", include("rehab.api_urls")),
    path("admin/", admin.site.urls),
]

# A lost database connection outside the API's handler: a 503 page, never a traceback.
handler500 = "rehab.views.server_error"
