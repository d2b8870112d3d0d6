"""Strict helpers for reading settings from the environment.

A bad value stops the process at start-up with a message that names the variable, rather than
running with a silently wrong configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent

# A local .env file is read when present (never committed); real environment variables win.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


class ConfigurationError(RuntimeError):
    pass


# The public key rehab.settings falls back to when SECRET_KEY is unset (laptops, tests). Its
# django-insecure- prefix (that of Django's generated development keys) also makes Django's own
# `check --deploy` report it (security.W009).
DEVELOPMENT_SECRET_KEY = "django-insecure-rehab-development-key-" + "x" * 40


def refuse_development_key(*, secret_key: str, debug: bool) -> None:
    """Refuse a missing or public (development) SECRET_KEY unless DEBUG is on.

    Anyone holding the key can forge session cookies, password-reset links and signed values,
    so a process that may serve or work on real data must not run with one that is published.
    Called when Django is set up (RehabConfig.ready), so the web (rehab/wsgi.py, gunicorn),
    `manage.py` and the Celery worker and beat all stop; DEBUG=true marks a development machine.
    """
    if debug:
        return
    if not secret_key.strip() or secret_key.startswith("django-insecure-"):
        raise ConfigurationError(
            "SECRET_KEY is not set, or is the public development key, and DEBUG is off: set "
            "SECRET_KEY to 50+ random characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or DEBUG=true on a development machine"
        )


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw
