"""HTTP client construction shared by Vault and providers: certificates are loaded once, and only for TLS."""

from __future__ import annotations

import ssl
import sys
import threading
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
    _load_httpcore()
    return httpx.AsyncClient(verify=verify_for(url), **kwargs)


def _load_httpcore() -> None:
    """httpcore, without the HTTP/2 stack (h2, hpack, hyperframe: ~1.3 MB, ~5 ms at every start) its package
    imports whenever h2 is installed. Its connections import that stack themselves once HTTP/2 is negotiated,
    so a client that asks for HTTP/2 still gets it; ours never do."""
    if "httpcore" in sys.modules or "h2" in sys.modules or threading.active_count() > 1:
        return  # with other threads about, one of them could be importing h2 while it is hidden
    sys.modules["h2"] = None  # type: ignore[assignment]  # `import h2` fails: httpcore's optional import is skipped
    try:
        import httpcore  # noqa: F401
    finally:
        if "h2" in sys.modules and sys.modules["h2"] is None:
            del sys.modules["h2"]
