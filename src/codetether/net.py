"""HTTP client construction shared by Vault and providers: certificates are loaded once, and only for TLS."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

_tls_context: ssl.SSLContext | None = None


def verify_for(url: str) -> ssl.SSLContext | bool:
    """Plain-HTTP endpoints skip the CA bundle load (~25 ms); TLS ones share one verified context."""
    global _tls_context
    if url.startswith("http://"):
        return False
    if _tls_context is None:
        _tls_context = httpx.create_ssl_context()
    return _tls_context


def async_client(url: str, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=verify_for(url), **kwargs)
