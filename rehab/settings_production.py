"""Production settings: `DJANGO_SETTINGS_MODULE=rehab.settings_production`.

The ordinary settings (everything still read from the environment) plus the deployment
hardening of Django's checklist, so that `manage.py check --deploy --fail-level WARNING` passes
with no issues. Choosing this module is the one switch for production: the secure choices are
the defaults here rather than a dozen variables each of which could be forgotten, and laptops,
tests and `make run` (plain HTTP on 127.0.0.1) keep `rehab.settings`.

Start-up stops with a ConfigurationError naming the variable when SECRET_KEY is missing or weak,
DEBUG is true or ALLOWED_HOSTS is not set. Served over HTTPS behind a TLS-terminating reverse
proxy that sets X-Forwarded-Proto (REHAB_PROXY_SSL_HEADER), by gunicorn (gunicorn.conf.py),
static files by whitenoise after `manage.py collectstatic`. See the README, "Deploying".
"""

from __future__ import annotations

import copy
import os

from rehab.env import ConfigurationError, env_bool, env_int, env_list, env_str
from rehab.settings import *  # noqa: F403
from rehab.settings import LOG_FORMATS, LOGGING, STORAGES, redis_cache

# Django's own bar for a key (security.W009): 50+ characters, 5+ distinct ones, not a
# generated-for-development key. Ours also refuses the development fallback of rehab.settings.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
_KEY_HELP = (
    "production needs a random key of at least 50 characters, e.g. from "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
)


def _production_secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if not key:
        raise ConfigurationError(f"SECRET_KEY is not set: {_KEY_HELP}")
    weak = (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE
        or key.startswith(("django-insecure-", "insecure-dev-key"))
    )
    if weak:
        raise ConfigurationError(f"SECRET_KEY is too weak: {_KEY_HELP}")
    return key


if env_bool("DEBUG", False):
    raise ConfigurationError(
        "DEBUG must be false with rehab.settings_production (it shows settings and code to "
        "anyone who triggers an error)"
    )
DEBUG = False
SECRET_KEY = _production_secret_key()
if not env_str("ALLOWED_HOSTS", "").strip():
    raise ConfigurationError(
        "ALLOWED_HOSTS must be set in production: the host name(s) the site is served as, "
        "comma-separated (e.g. rehab.example.org)"
    )

# HTTPS only. HSTS tells browsers never to use plain HTTP for this host (and its
# subdomains) for a year; preload marks consent to browsers' built-in HSTS lists.
SECURE_SSL_REDIRECT = True
# Monitoring and load balancers may ask over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)$"]
SECURE_HSTS_SECONDS = env_int("REHAB_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("REHAB_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("REHAB_HSTS_PRELOAD", True)
if SECURE_HSTS_SECONDS < 0:
    raise ConfigurationError("REHAB_HSTS_SECONDS must not be negative")

# TLS ends at the reverse proxy, which tells us the original scheme in a header. Trust that
# header only if the proxy always sets it (overwriting any value a client sent); "off" when
# gunicorn is reached directly over HTTPS or the proxy sets no such header.
_proxy_header = env_str("REHAB_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO").strip()
if _proxy_header.lower() in {"off", "none", "false"}:
    SECURE_PROXY_SSL_HEADER = None
elif _proxy_header.startswith("HTTP_") and _proxy_header.replace("_", "").isalnum():
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
else:
    raise ConfigurationError(
        "REHAB_PROXY_SSL_HEADER must be a request header as Django names it "
        f"(e.g. HTTP_X_FORWARDED_PROTO) or off, not {_proxy_header!r}"
    )

# Cookies only over HTTPS and out of reach of scripts (no page script reads the CSRF cookie:
# forms carry the token, and so does the Swagger UI page).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
# Origins allowed to POST besides the site itself, with scheme: https://rehab.example.org
CSRF_TRUSTED_ORIGINS = env_list("REHAB_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"REHAB_CSRF_TRUSTED_ORIGINS entries need a scheme (https://…), not {_origin!r}"
        )

# The same headers Django sends by default, pinned here so a change of default cannot
# weaken them. The Content-Security-Policy comes from rehab.settings (every environment).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# One cache for every process: DRF's throttles (login, sync) count in Django's cache, so with
# the default per-process memory cache each gunicorn worker would allow the full rate and N
# workers N times it. Redis is already there for Celery; REHAB_CACHE_URL may point elsewhere
# (another Redis database or server, e.g. one with an LRU eviction policy). Keys expire.
CACHE_URL = env_str("REHAB_CACHE_URL", "") or env_str("REDIS_URL", "")
if CACHE_URL:
    CACHES = {"default": redis_cache(CACHE_URL)}

# Static files from the app through whitenoise: hashed names (cached for ever), compressed.
# Needs `manage.py collectstatic` at each release.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Logs as JSON, one object a line with the request id (rehab/log_format.py), for a log service;
# REHAB_LOG_FORMAT=plain for reading them by eye. The Celery worker logs through the same
# handler instead of installing its own.
LOG_FORMAT = env_str("REHAB_LOG_FORMAT", "json")
if LOG_FORMAT not in LOG_FORMATS:
    raise ConfigurationError(f"REHAB_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = copy.deepcopy(LOGGING)
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
