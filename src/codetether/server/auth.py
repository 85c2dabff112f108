"""Bearer-token auth for `serve`: where the token comes from, when it is required, and the ASGI guard."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from codetether.errors import UsageError
from codetether.secrets import sealed

TOKEN_ENV = "CODETETHER_AUTH_TOKEN"


@functools.lru_cache(maxsize=64)  # asked for every request's Host header
def is_loopback(host: str) -> bool:
    """True only for names and addresses that cannot be reached from another machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname could resolve anywhere


def server_token(host: str, env: dict[str, str] | None = None) -> str | None:
    """The token calls must carry (env CODETETHER_AUTH_TOKEN), or None; refuse to serve beyond loopback without."""
    token = (sealed.environ() if env is None else env).get(TOKEN_ENV, "").strip() or None
    if token is None and not is_loopback(host):
        raise UsageError(f"refusing to serve on {host} without an auth token: anyone who can reach it could run "
                         "commands in this project",
                         f"Set {TOKEN_ENV} to a long random secret (e.g. `export {TOKEN_ENV}=$(openssl rand -hex 32)`), "
                         "or bind to 127.0.0.1.")
    if token is not None and len(token) < 16:
        raise UsageError(f"{TOKEN_ENV} is too short ({len(token)} characters)", "Use at least 16 random characters.")
    return token


class BearerAuth:
    """ASGI middleware: every HTTP request except `public` GET paths needs `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str, public: Iterable[str]):
        self.app, self.public = app, frozenset(public)
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] in ("GET", "HEAD") and scope["path"] in self.public):
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"authorization", b"")
        # Constant-time, so the response time does not reveal how much of a guess was right.
        if hmac.compare_digest(given, self._expected):
            return await self.app(scope, receive, send)
        reason = "missing bearer token" if not given else "invalid bearer token"
        body = json.dumps({"error": f"unauthorized: {reason}; send 'Authorization: Bearer <token>'"}).encode()
        error = 'invalid_request' if not given else 'invalid_token'
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", f'Bearer realm="codetether", error="{error}"'.encode())]})
        await send({"type": "http.response.body", "body": body})
