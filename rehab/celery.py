from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehab.settings")

app = Celery("rehab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def reuse_database_connections(sender: Task | None = None, **kwargs: Any) -> None:
    """A worker's database connections are kept between tasks as a web process keeps them
    between requests: Django's own rule, before and after each task, closes one that is
    older than CONN_MAX_AGE or broke (CONN_HEALTH_CHECKS then checks it before its next
    use). Celery's Django fixup would otherwise close them around every task (settings:
    CELERY_DB_REUSE_MAX): a new PostgreSQL backend, its catalogue caches and its prepared
    statements for each batch of reminders or e-mails, a third of the database's CPU in a
    wave of e-mails (issue 14). Not for a task run eagerly (tests, the shell): that one runs
    inside its caller's connection and transaction."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# The folders of kombu's filesystem:// transport (a laptop without Redis), by option name.
FILESYSTEM_BROKER_FOLDERS = (
    "data_folder_in",
    "data_folder_out",
    "control_folder",
    "processed_folder",
)


@app.on_after_configure.connect
def make_filesystem_broker_folders(sender: Celery, source: Any, **kwargs: Any) -> None:
    """Make the filesystem broker's folders before the first message is sent or read.

    Here, when a process first uses Celery (a worker, beat, or the web process enqueueing a
    task), rather than at settings import, which must not touch the disk.
    """
    if not str(source.broker_url).startswith("filesystem://"):
        return
    options = source.broker_transport_options or {}
    for name in FILESYSTEM_BROKER_FOLDERS:
        if options.get(name):
            Path(options[name]).mkdir(parents=True, exist_ok=True)
