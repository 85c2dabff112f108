"""What `serve` accepts before any route sees a request: what a legitimate client sends, and nothing a web page can.

Without a token only a loopback Host passes (DNS rebinding names another host); a foreign Origin never does
(a browser page's cross-site request); bodies are JSON, sent as application/json (a page's simple form or
text/plain POST is not), and no bigger than the limit, answered 413 before the rest is read. A JSON-RPC body that
is not UTF-8 JSON, or nests too deep, is a -32700 parse error here rather than an exception downstream."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codetether.server.auth import is_loopback

DEFAULT_MAX_BODY = 32 * 1024 * 1024
MAX_NESTING = 64
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_HOST_AND_PORT = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")  # a DNS name, IPv4 or [IPv6]


class RequestGuard:
    """ASGI middleware in front of every route; `rpc_paths` get the JSON-RPC parse check."""

    def __init__(self, app: ASGIApp, *, token_required: bool, rpc_paths: Iterable[str],
                 max_body: int = DEFAULT_MAX_BODY, public_url: str | None = None):
        self.app, self.token_required, self.max_body = app, token_required, max_body
        self.rpc_paths = frozenset(rpc_paths)
        self.own_hosts = {h for h in (urlsplit(public_url).hostname if public_url else None,) if h}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, message = refusal
            return await _send_json(send, status, {"error": message})
        if scope["method"] not in _BODY_METHODS:
            return await self.app(scope, receive, send)
        body = await _read_body(receive, self.max_body)
        if body is None:
            return await _send_json(send, 413, {"error": f"request body larger than {self.max_body} bytes"})
        if scope["path"] in self.rpc_paths and (problem := _json_problem(body)):
            return await _send_json(send, 200, {"jsonrpc": "2.0", "id": None,
                                                "error": {"code": -32700, "message": f"Parse error: {problem}"}})
        return await self.app(scope, _replay(body, receive), send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = _hostname(headers.get("host", ""))
        if not self.token_required and not (is_loopback(host) or host in self.own_hosts):
            return 403, (f"refused: Host {headers.get('host', '')!r} is not this server's loopback address "
                         "(without CODETETHER_AUTH_TOKEN only local clients are served)")
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(origin):
            return 403, f"refused: cross-origin request from {origin!r}"
        if scope["method"] in _BODY_METHODS and _has_body(headers):
            kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
                return 415, (f"unsupported Content-Type {kind or '(none)'!r}: send the JSON body as "
                             "application/json")
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body:
                return 413, f"request body of {length} bytes is larger than the limit of {self.max_body} bytes"
        return None

    def _own_origin(self, origin: str) -> bool:
        """Same-machine pages only (a local tool's own UI); `null` and other sites are foreign."""
        try:
            host = urlsplit(origin).hostname or ""
        except ValueError:
            return False
        return is_loopback(host) or host in self.own_hosts


def _has_body(headers: dict[str, str]) -> bool:
    """A POST such as /v1/cognition/stop carries none; anything that does must say it is JSON."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


def _hostname(host_header: str) -> str:
    """The name in a `host[:port]` Host header; "" for anything else (userinfo, a path, a stray character), which
    a URL parser would otherwise read a loopback name out of."""
    if not _HOST_AND_PORT.fullmatch(host_header):
        return ""
    try:
        return urlsplit(f"//{host_header}").hostname or ""
    except ValueError:
        return ""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` (the rest is never read)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _json_problem(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 (byte {exc.start})"
    try:
        value = json.loads(text)
    except ValueError as exc:
        return str(exc)
    except RecursionError:
        return f"JSON nested deeper than {MAX_NESTING} levels"
    if _too_deep(value):
        return f"JSON nested deeper than {MAX_NESTING} levels"
    return None


def _too_deep(value: object) -> bool:
    """Deeper than MAX_NESTING, found without recursion (what reads it later may recurse per level)."""
    level: list[object] = [value]
    for _ in range(MAX_NESTING):
        level = [child for item in level if isinstance(item, dict | list)
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _send_json(send: Send, status: int, payload: dict) -> None:
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
