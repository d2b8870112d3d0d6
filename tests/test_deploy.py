"""Production: rehab.settings_production passes `check --deploy` and refuses unsafe settings;
gunicorn + whitenoise serve the site with the security headers; the Redis config is durable.

(The Redis restart test itself is tests/integration/test_redis_durability.py.)"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from rehab.env import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = "rehab.settings_production"
# Everything that configures the production settings; cleared so the machine running the
# tests cannot change what they see. (The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the
# whole session, and check --deploy rightly reports it as an error.)
KNOBS = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "REHAB_HSTS_SECONDS",
    "REHAB_HSTS_INCLUDE_SUBDOMAINS",
    "REHAB_HSTS_PRELOAD",
    "REHAB_PROXY_SSL_HEADER",
    "REHAB_CSRF_TRUSTED_ORIGINS",
    "REHAB_STATICFILES_STORAGE",
    "REHAB_GUNICORN_BIND",
    "REHAB_GUNICORN_TIMEOUT",
    "WEB_CONCURRENCY",
    "REHAB_LOG_FORMAT",
    "SENTRY_DSN",
    "REHAB_HEALTH_TOKEN",
    "REHAB_HEALTH_ADDRESSES",
)


def good_key() -> str:
    return secrets.token_urlsafe(50)


def production_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env["DJANGO_SETTINGS_MODULE"] = PRODUCTION
    env["ALLOWED_HOSTS"] = "rehab.example.org"
    env["SECRET_KEY"] = good_key()
    env.update(values)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- manage.py check --deploy, in a clean process ---------------------------------------------


def test_production_settings_pass_check_deploy_with_no_issues() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_secret_key_start_up_stops_with_one_line_naming_it() -> None:
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "Configuration error: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "key",
    ["short-key", "x" * 60, "django-insecure-" + "a1b2c3d4e5" * 5],
    ids=["short", "one-character", "django-insecure"],
)
def test_a_weak_secret_key_is_refused_without_being_echoed(key: str) -> None:
    result = manage("check", "--deploy", env=production_env(SECRET_KEY=key))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert key not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_laptop_settings_key_is_reported_by_djangos_deploy_check() -> None:
    """Under DEBUG (the one case it may run), rehab.settings' public development key is never
    silent: Django's own deploy check names it (security.W009)."""
    env = production_env(DJANGO_SETTINGS_MODULE="rehab.settings", SECRET_KEY=None, DEBUG="true")
    result = manage("check", "--deploy", env=env)
    assert "security.W009" in result.stdout + result.stderr
    assert "security.W009" not in manage("check", "--deploy", env=production_env()).stderr


# --- Every entry point refuses a missing or public key unless DEBUG is on (issue 18) --------

REFUSED = "Configuration error: SECRET_KEY is not set, or is the public development key"
ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "wsgi": [sys.executable, "-c", "import rehab.wsgi"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "rehab", "worker", "--pool=solo"],
    "celery beat": [sys.executable, "-m", "celery", "-A", "rehab", "beat"],
}


def laptop_env(**values: str | None) -> dict[str, str]:
    """rehab.settings (not production) on the filesystem broker, with no key unless given."""
    return production_env(
        **{"DJANGO_SETTINGS_MODULE": "rehab.settings", "REDIS_URL": None, "SECRET_KEY": None}
        | values
    )


def start(entry_point: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A worker or beat that is allowed to start keeps running: the timeout says it started.
    try:
        return subprocess.run(
            ENTRY_POINTS[entry_point],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=12 if entry_point.startswith("celery") else 60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else str(exc.stdout or "")
        return subprocess.CompletedProcess(exc.cmd, 0, out, "")


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("key", [None, DEVELOPMENT_SECRET_KEY], ids=["missing", "development"])
def test_every_entry_point_refuses_a_missing_or_development_key_without_debug(
    entry_point: str, key: str | None, tmp_path: Path
) -> None:
    env = laptop_env(SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = start(entry_point, env)
    assert result.returncode != 0
    # manage.py and gunicorn print the one line; a bare import and Celery raise, ending on it.
    output = (result.stdout + result.stderr).replace(
        "rehab.env.ConfigurationError:", "Configuration error:"
    )
    assert REFUSED in output


@pytest.mark.parametrize("entry_point", ["manage.py", "wsgi"])
def test_with_debug_on_the_development_key_is_allowed(entry_point: str, tmp_path: Path) -> None:
    env = laptop_env(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = start(entry_point, env)
    assert result.returncode == 0, result.stderr


# --- The settings themselves (imported in this process, with a chosen environment) ----------


@pytest.fixture
def load_production(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def load(**values: str) -> ModuleType:
        for name in KNOBS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ALLOWED_HOSTS", "rehab.example.org")
        monkeypatch.setenv("SECRET_KEY", good_key())
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        sys.modules.pop(PRODUCTION, None)
        return importlib.import_module(PRODUCTION)

    yield load
    sys.modules.pop(PRODUCTION, None)


def test_production_defaults_are_the_hardened_ones(load_production: Any) -> None:
    prod = load_production()
    assert prod.DEBUG is False
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS == 365 * 24 * 3600
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert prod.SECURE_HSTS_PRELOAD is True
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert prod.SESSION_COOKIE_SECURE is True
    assert prod.SESSION_COOKIE_HTTPONLY is True
    assert prod.CSRF_COOKIE_SECURE is True
    assert prod.CSRF_COOKIE_HTTPONLY is True
    assert prod.SECURE_REFERRER_POLICY == "same-origin"
    assert prod.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert prod.X_FRAME_OPTIONS == "DENY"
    assert prod.CSRF_TRUSTED_ORIGINS == []
    assert (
        prod.STORAGES["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert prod.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    # The policy comes from the base settings: the same in every environment.
    directives = prod.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert "csp.middleware.CSPMiddleware" in prod.MIDDLEWARE
    # Logs as JSON lines with the request id; the Celery worker logs through the same handler.
    assert prod.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert prod.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


def test_production_knobs_are_read_from_the_environment(load_production: Any) -> None:
    prod = load_production(
        REHAB_HSTS_SECONDS="3600",
        REHAB_HSTS_INCLUDE_SUBDOMAINS="false",
        REHAB_HSTS_PRELOAD="false",
        REHAB_PROXY_SSL_HEADER="HTTP_X_FORWARDED_SCHEME",
        REHAB_CSRF_TRUSTED_ORIGINS="https://rehab.example.org, https://app.example.org",
    )
    assert prod.SECURE_HSTS_SECONDS == 3600
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS is False
    assert prod.SECURE_HSTS_PRELOAD is False
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_SCHEME", "https")
    assert prod.CSRF_TRUSTED_ORIGINS == ["https://rehab.example.org", "https://app.example.org"]
    assert load_production(REHAB_PROXY_SSL_HEADER="off").SECURE_PROXY_SSL_HEADER is None
    plain = load_production(REHAB_LOG_FORMAT="plain")
    assert plain.LOGGING["handlers"]["console"]["formatter"] == "plain"


SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
)


@pytest.mark.django_db
def test_signing_in_behind_the_proxy_under_the_production_settings(
    load_production: Any, settings: Any, client: Any, therapist: Any
) -> None:
    from tests.factories import PASSWORD, code_for, give_authenticator

    app = give_authenticator(therapist.user)
    prod = load_production()
    for name in SECURITY_SETTINGS:
        setattr(settings, name, getattr(prod, name))
    settings.ALLOWED_HOSTS = ["rehab.example.org"]
    host = {"HTTP_HOST": "rehab.example.org"}

    plain = client.get("/accounts/login/", **host)
    assert plain.status_code == 301
    assert plain["Location"] == "https://rehab.example.org/accounts/login/"

    proxied = host | {"HTTP_X_FORWARDED_PROTO": "https"}
    form = client.get("/accounts/login/", **proxied)
    assert form.status_code == 200
    assert form["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    half_way = client.post(
        "/accounts/login/",
        {"username": therapist.user.username, "password": PASSWORD},
        **proxied,
    )
    assert half_way["Location"] == "/accounts/login/code/"  # the second step
    signed_in = client.post("/accounts/login/code/", {"code": code_for(app)}, **proxied)
    assert signed_in.status_code == 302, signed_in.content
    session = signed_in.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert signed_in.cookies["csrftoken"]["secure"]
    assert signed_in.cookies["csrftoken"]["httponly"]
    caseload = client.get(signed_in["Location"], follow=True, **proxied)
    assert caseload.redirect_chain == [("/caseload/", 302)]
    assert caseload.status_code == 200
    assert "script-src 'self'" in caseload["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "   "}, "SECRET_KEY"),
        ({"SECRET_KEY": "insecure-dev-key-change-me-" + "x" * 40}, "SECRET_KEY"),
        ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"REHAB_HSTS_SECONDS": "a year"}, "REHAB_HSTS_SECONDS"),
        ({"REHAB_HSTS_SECONDS": "-1"}, "REHAB_HSTS_SECONDS"),
        ({"REHAB_HSTS_PRELOAD": "maybe"}, "REHAB_HSTS_PRELOAD"),
        ({"REHAB_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "REHAB_PROXY_SSL_HEADER"),
        ({"REHAB_CSRF_TRUSTED_ORIGINS": "rehab.example.org"}, "REHAB_CSRF_TRUSTED_ORIGINS"),
        ({"REHAB_LOG_FORMAT": "xml"}, "REHAB_LOG_FORMAT"),
    ],
)
def test_unsafe_or_malformed_production_settings_stop_start_up(
    load_production: Any, values: dict[str, str | None], named: str
) -> None:
    from rehab.env import ConfigurationError

    with pytest.raises(ConfigurationError, match=named):
        load_production(**values)


# --- gunicorn + whitenoise ------------------------------------------------------------------


def gunicorn_conf() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_config_sizes_workers_and_keeps_data_out_of_the_access_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    conf = gunicorn_conf()
    assert conf["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert conf["wsgi_app"] == "rehab.wsgi:application"
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["timeout"] == 30
    fmt = conf["access_log_format"]
    assert "%(U)s" in fmt  # the path only
    # No request header (cookies, tokens); of the response's, only the request id.
    assert fmt.endswith(" %({x-request-id}o)s")
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "{"):
        assert atom not in fmt.removesuffix(" %({x-request-id}o)s")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert gunicorn_conf()["workers"] == 3


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/accounts/reset/MQ/cz3ztk-0123456789abcdef/", "/accounts/reset/MQ/[token]/"),
        ("/accounts/reset/MQ/set-password/", "/accounts/reset/MQ/set-password/"),
        ("/today/", "/today/"),
        ("/calendar/Vq3-_9aZ0123456789abcdefABCDEF0123456789xyz.ics", "/calendar/[secret].ics"),
        ("/reminders/calendar/", "/reminders/calendar/"),
    ],
)
def test_the_access_log_masks_a_password_reset_token_and_a_calendar_secret(
    path: str, logged: str
) -> None:
    from gunicorn.config import Config

    logger = gunicorn_conf()["AccessLogger"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + "?next=/x",
        "PATH_INFO": path,
        "QUERY_STRING": "next=/x",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    assert atoms["U"] == logged


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    assert port not in {6379, 5432}
    return port


def request(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "rehab.example.org", **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


HTTPS = {"X-Forwarded-Proto": "https"}


def request_body(port: int, path: str, **headers: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "rehab.example.org", **headers})
    body = conn.getresponse().read().decode()
    conn.close()
    return body


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Any]:
    """Production settings with static files collected into a temporary STATIC_ROOT and an
    empty SQLite database (the pages fetched here read nothing from it)."""
    (tmp_path / "deploy_test_settings.py").write_text(
        f"from {PRODUCTION} import *  # noqa\nSTATIC_ROOT = {str(tmp_path / 'static')!r}\n"
    )
    env = production_env(
        DJANGO_SETTINGS_MODULE="deploy_test_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        WEB_CONCURRENCY="1",
    )
    collected = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    return env


def test_gunicorn_and_whitenoise_serve_the_site_with_the_security_headers(
    site: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = site | {"REHAB_GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

        # Plain HTTP is sent to HTTPS.
        plain = request(port, "/accounts/login/?next=/patients/private-query")
        assert plain.status == 301
        assert plain.headers["Location"].startswith("https://rehab.example.org/accounts/login/")

        # Through the TLS-terminating proxy (X-Forwarded-Proto: https).
        page = request(port, "/accounts/login/?next=/patients/private-query", **HTTPS)
        assert page.status == 200
        assert page.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "same-origin"
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("csrftoken=")
        assert "; Secure" in cookie
        assert "; HttpOnly" in cookie

        # The stylesheet by its hashed name, from whitenoise, cached for good.
        html = request_body(port, "/accounts/login/", **HTTPS)
        css = re.search(r'href="(/static/css/rehab\.[0-9a-f]{12}\.css)"', html)
        assert css, html
        static = request(port, css.group(1), **HTTPS)
        assert static.status == 200
        assert "immutable" in static.headers["Cache-Control"]

        # Monitoring asks over plain HTTP on the private network: no redirect.
        live = request(port, "/health/live")
        assert live.status == 200
        # The proxy's request id is kept, answered, and carried by the app's (JSON) log line.
        missing = request(port, "/no-such-page/", **HTTPS, **{"X-Request-ID": "nginx-req-4242"})
        assert missing.status == 404
        assert missing.headers["X-Request-ID"] == "nginx-req-4242"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    access = log.read_text()
    assert '"GET /accounts/login/ HTTP/1.1" 200' in access
    assert "private-query" not in access  # no query strings in the access log
    assert '"GET /no-such-page/ HTTP/1.1" 404' in access
    assert access.count(" nginx-req-4242") == 1  # the access line, ending with the id
    app_lines = [json.loads(line) for line in access.splitlines() if line.startswith("{")]
    not_found = [line for line in app_lines if line["logger"] == "django.request"]
    assert not_found, access
    assert not_found[-1]["request_id"] == "nginx-req-4242"
    assert not_found[-1]["level"] == "WARNING"


def test_gunicorn_without_a_secret_key_stops_with_one_clear_line(site: dict[str, str]) -> None:
    env = {k: v for k, v in site.items() if k != "SECRET_KEY"}
    env["REHAB_GUNICORN_BIND"] = f"127.0.0.1:{free_port()}"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Configuration error: SECRET_KEY is not set" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# --- Redis, configured as a durable broker ---------------------------------------------------


def redis_conf() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "redis.conf").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            settings.setdefault(name.lower(), []).append(value.strip())
    return settings


def test_the_production_redis_config_persists_and_never_evicts() -> None:
    conf = redis_conf()
    assert conf["appendonly"] == ["yes"]
    assert conf["appendfsync"] == ["everysec"]
    assert conf["maxmemory-policy"] == ["noeviction"]
    assert all(value.strip("'\"") for value in conf.get("save", [])), 'no `save ""`'
    assert conf["protected-mode"] == ["yes"]
    # Loopback only (a private address may be added at deployment, never 0.0.0.0 or *).
    (bind,) = conf["bind"]
    assert set(bind.split()) <= {"127.0.0.1", "-::1", "::1"}
