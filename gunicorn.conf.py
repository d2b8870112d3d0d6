"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` from the repository root.

Sync workers behind a TLS-terminating reverse proxy; static files are served by whitenoise
inside the app. Uses rehab.settings_production unless DJANGO_SETTINGS_MODULE says otherwise,
and stops at start-up, with one line naming the variable, if the settings refuse to load.
The access log has no query strings, referrers or user agents: a query string or a referring
page's address can carry data about a patient, and a password-reset link's token is masked.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from pathlib import Path
from typing import Any

import environ
from gunicorn.glogging import Logger  # type: ignore[import-untyped]

# The same .env file the settings read (real environment variables win), for the values below.
if (Path(__file__).resolve().parent / ".env").is_file():
    environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehab.settings_production")

wsgi_app = "rehab.wsgi:application"
# Where the reverse proxy connects to; e.g. 0.0.0.0:8000 in a container, unix:/run/rehab.sock.
bind = [os.environ.get("REHAB_GUNICORN_BIND", "127.0.0.1:8000")]
# 2 × cores + 1 sync workers (gunicorn's rule of thumb); WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request taking longer than this is killed (and logged); the slowest pages take well under
# a second. graceful_timeout: how long a worker may finish its requests on restart/shutdown.
timeout = int(os.environ.get("REHAB_GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# No runtime control socket (gunicornc): signals are enough, and two instances never clash.
control_socket_disable = True
# Headers from the proxy: gunicorn trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS
# (default 127.0.0.1,::1, i.e. a proxy on the same machine).

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("REHAB_LOG_LEVEL", "INFO").lower()
# %(U)s is the path without the query string; no %(r)s, %(q)s, %(f)s (referrer), %(a)s. Last,
# the request id the app answered with (X-Request-ID: the proxy's, or one of its own), which
# its log lines, error reports and audit entries carry too.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'

_RESET_TOKEN = re.compile(r"^(/accounts/reset/[^/]+/)(?!set-password/)[^/]+/")
_CALENDAR_SECRET = re.compile(r"^/calendar/[^/]+\.ics$")


class AccessLogger(Logger):
    """gunicorn's logger with the secrets that can sit in a path masked: the token of a
    password-reset link (Django then redirects to .../set-password/) and the secret of a
    calendar link."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        path = _RESET_TOKEN.sub(r"\1[token]/", atoms.get("U") or "")
        atoms["U"] = _CALENDAR_SECRET.sub("/calendar/[secret].ics", path)
        return atoms


logger_class = AccessLogger


def on_starting(server: Any) -> None:
    """Load the settings once in the master, so a missing SECRET_KEY (or any refused setting)
    stops gunicorn with one clear line instead of every worker failing to boot."""
    from django.conf import settings

    from rehab.env import ConfigurationError, refuse_development_key

    try:
        # Imports and checks the settings module; then the check every process makes.
        refuse_development_key(secret_key=settings.SECRET_KEY, debug=settings.DEBUG)
    except ConfigurationError as exc:
        server.log.error("Configuration error: %s", exc)
        sys.exit(2)
