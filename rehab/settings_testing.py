"""Test settings: the real settings with fast password hashing and an in-memory mailbox."""

from __future__ import annotations

from rehab.env import env_str
from rehab.settings import *  # noqa: F403

# A key of the tests' own (never the public development key, which every process refuses
# without DEBUG): the suite runs with DEBUG off, like production.
SECRET_KEY = env_str("SECRET_KEY", "rehab-tests-only-key-signs-nothing-real-" + "t" * 20)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Nothing is collected into STATIC_ROOT before a test run, and settings do not make the folder:
# look files up per request (as under DEBUG) instead of whitenoise scanning, and warning about,
# the missing folder on every test client's first request. /static/ still 404s as before.
WHITENOISE_AUTOREFRESH = True
