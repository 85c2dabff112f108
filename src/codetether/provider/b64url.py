"""Unpadded base64url (RFC 4648 §5), as JWTs and PKCE use it."""

from __future__ import annotations

import base64


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
