"""API authentication (named in REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES, so this
module imports nothing that imports DRF's views: that would be a circular import)."""

from __future__ import annotations

import re
from typing import Any

from knox.auth import TokenAuthentication as KnoxTokenAuthentication  # type: ignore[import-untyped]
from rest_framework import exceptions

# A knox token is 64 hex characters after an optional short prefix: printable ASCII.
_TOKEN = re.compile(rb"[\x21-\x7e]{1,128}")


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's device-token check, refusing a malformed token (401 "Invalid token.") before
    knox decodes it as UTF-8 (a stray byte such as 0xFF was a 500) and looks it up (a NUL
    was a 500 on PostgreSQL)."""

    def authenticate_credentials(self, token: bytes) -> Any:
        if not _TOKEN.fullmatch(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
