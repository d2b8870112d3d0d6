from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from rehab import health, views
from rehab import two_factor_views as two_factor

urlpatterns = [
    path("", views.home, name="home"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("more/", views.more, name="more"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    # Before Django's auth URLs: the sign-in form that checks the username's length and
    # leads to the second step (rehab/two_factor.py).
    path("accounts/login/", two_factor.SignInView.as_view(), name="login"),
    path("accounts/login/code/", two_factor.code, name="two_factor_code"),
    path("accounts/two-step/", two_factor.account, name="two_factor"),
    path("accounts/two-step/set-up/", two_factor.set_up, name="two_factor_set_up"),
    path(
        "accounts/two-step/recovery-codes/",
        two_factor.recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path(
        "accounts/two-step/recovery-codes.txt",
        two_factor.recovery_codes_download,
        name="two_factor_recovery_codes_download",
    ),
    path(
        "accounts/two-step/recovery-codes/new/",
        two_factor.new_recovery_codes,
        name="two_factor_new_recovery_codes",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("programmes/", include("patients.prescribing.urls")),
    path("", include("programmes.urls")),
    path("api/v1/", include("rehab.api_urls")),
    path("admin/", admin.site.urls),
]

# A lost database connection outside the API's handler: a 503 page, never a traceback.
handler500 = "rehab.views.server_error"
