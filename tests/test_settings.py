"""Settings and the services the suite runs against."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from rehab.celery import app
from rehab.env import ConfigurationError, env_bool, env_int


def test_bad_environment_values_stop_start_up_with_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(ConfigurationError, match="DEBUG"):
        env_bool("DEBUG", False)
    monkeypatch.setenv("REHAB_CONN_MAX_AGE", "sixty")
    with pytest.raises(ConfigurationError, match="REHAB_CONN_MAX_AGE"):
        env_int("REHAB_CONN_MAX_AGE", 60)


def test_celery_speaks_json_only_and_acknowledges_late() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


@pytest.mark.integration
@pytest.mark.django_db
def test_ci_runs_against_postgresql() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        if os.environ.get("CI"):
            pytest.fail("CI must set DATABASE_URL to the PostgreSQL server")
        pytest.skip("DATABASE_URL is not PostgreSQL on this machine")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from programmes_condition")
        assert cursor.fetchone() == (24,)


@pytest.mark.integration
@pytest.mark.django_db
def test_postgresql_plans_once_and_never_compiles_a_statement() -> None:
    """A generic plan (made once per prepared statement) and no JIT: compiling the caseload's
    statement took five times as long as running it (issue 14)."""
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL on this machine")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('plan_cache_mode')")
        assert cursor.fetchone() == ("off", "force_generic_plan")


@pytest.mark.integration
def test_the_celery_broker_is_the_redis_server_when_configured() -> None:
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL to the Redis server")
        pytest.skip("REDIS_URL is not set on this machine")
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.transport.driver_type == "redis"


def _in_a_clean_process(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh Python with `env`: settings as a new process reads them."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_without_redis_or_a_database_url_a_laptop_needs_no_server(tmp_path: Path) -> None:
    """Fresh-laptop defaults, checked in a clean process: SQLite and the filesystem broker."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "rehab.settings"
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from rehab.celery import app\n"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)\n"
        "conn = app.connection_for_write(); conn.ensure_connection(max_retries=1)\n"
        "print(conn.transport.driver_type)\n"
    )
    result = _in_a_clean_process(script, env)
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "filesystem",
    ]


def test_a_fresh_clone_gets_no_folders_from_importing_settings_only_from_using_celery(
    tmp_path: Path,
) -> None:
    """Settings import touches no disk; the filesystem broker's folders come with Celery.

    Checked on a copy of the project package, whose var/ does not exist: importing every
    settings module leaves it absent, and the first use of the Celery app makes the broker's
    folders, through which a message then travels.
    """
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(
        repo / "rehab", tmp_path / "rehab", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="rehab.settings",
        # The copied rehab package first (the working directory), the real apps after it.
        PYTHONPATH=str(repo),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="rehab.example.org",
    )
    script = (
        "import importlib, pathlib\n"
        "for name in ('rehab.settings', 'rehab.settings_testing', 'rehab.settings_production',"
        " 'rehab.celery'):\n"
        "    importlib.import_module(name)\n"
        "print(pathlib.Path('var').exists())\n"
        "import django; django.setup()\n"
        "from rehab.celery import app\n"
        "broker = pathlib.Path('var/celery-broker')\n"
        "print(app.conf.broker_url)\n"
        "print(sorted(p.name for p in broker.iterdir()))\n"
        "with app.connection_for_write() as conn:\n"
        "    queue = conn.SimpleQueue('fresh-clone')\n"
        "    queue.put({'hello': 'broker'})\n"
        "    message = queue.get(timeout=5)\n"
        "    message.ack()\n"
        "    print(message.payload['hello'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported, configured, folders, delivered = result.stdout.strip().split("\n")
    assert imported == "False"
    assert configured == "filesystem://"
    assert folders == "['control', 'processed', 'queue']"
    assert delivered == "broker"


@pytest.mark.parametrize(("value", "expected"), [(None, "5"), ("off", "None"), ("12", "12")])
def test_prepared_statements_can_be_turned_off_for_a_connection_pooler(
    value: str | None, expected: str
) -> None:
    """Behind a transaction-pooling PgBouncer older than 1.21, server-side prepared statements
    break: clinic IT turn them off with REHAB_PG_PREPARE_THRESHOLD=off."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rehab.settings"}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/unused"  # not connected to
    env.pop("REHAB_PG_PREPARE_THRESHOLD", None)
    if value is not None:
        env["REHAB_PG_PREPARE_THRESHOLD"] = value
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])\n"
    )
    result = _in_a_clean_process(script, env)
    assert result.stdout.split()[-1] == expected


def test_a_message_retention_shorter_than_a_week_stops_start_up() -> None:
    """The delivery report reads the last day's reminders, and a nudge follows its reminder
    by hours: keeping reminders for less than a week is a mistake, said at start-up."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="rehab.settings")
    script = "import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        env=env | {"REHAB_MESSAGE_RETENTION_DAYS": "3"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "REHAB_MESSAGE_RETENTION_DAYS must be at least 7, not 3" in result.stderr
    _in_a_clean_process(script, env | {"REHAB_MESSAGE_RETENTION_DAYS": "7"})
