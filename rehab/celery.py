from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehab.settings")

app = Celery("rehab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
