"""The WSGI entry point. gunicorn (gunicorn.conf.py) chooses the production settings unless
DJANGO_SETTINGS_MODULE says otherwise; any settings refuse to start with a missing or public
SECRET_KEY unless DEBUG is on (RehabConfig.ready)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehab.settings")

application = get_wsgi_application()
