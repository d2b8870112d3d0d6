"""Benchmark settings: the real settings, plus the framework-floor views, and a broker that
can never reach the development queue.

Production URLs are untouched: the floor views live in bench/urls.py, which includes
rehab.urls. Without REDIS_URL the broker is in-process memory (messages such as urgent-flag
notifications are published and dropped), so a benchmark run never drops tasks into the
filesystem queue under var/ that `make run`'s worker reads.
"""

from __future__ import annotations

import os

from rehab.settings import *  # noqa: F403
from rehab.settings import REDIS_URL

ROOT_URLCONF = "bench.urls"
DEBUG = False
# A key of the benchmarks' own: with DEBUG off every process refuses the public development key
# (rehab.env.refuse_development_key), and benchmark data is generated, never real.
SECRET_KEY = os.environ.get("SECRET_KEY") or "rehab-bench-only-key-signs-nothing-real-" + "b" * 20
if not REDIS_URL:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Mail goes nowhere: the reminder benchmark counts notifications and e-mails in the database
# and through a counting backend instead.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("REHAB_LOG_LEVEL", "WARNING")},
}
