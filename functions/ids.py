"""Random identifiers: game ids and resume tokens."""

from __future__ import annotations

import base64
import os


def new_secret() -> str:
    """22 URL-safe characters carrying 128 random bits from the OS's CSPRNG (what
    `secrets.token_urlsafe(16)` returns, without importing `secrets` and `random`)."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
