"""Test settings: the real settings with fast password hashing and an in-memory mailbox."""

from __future__ import annotations

from rehab.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
