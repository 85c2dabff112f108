"""Run the A2A server with uvicorn until interrupted."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from codetether.a2a.executor import TaskSettings
from codetether.errors import CodetetherError, UsageError
from codetether.server.app import build_app
from codetether.server.auth import is_loopback, server_token
from codetether.server.guard import DEFAULT_MAX_BODY

if TYPE_CHECKING:
    from codetether.cognition.runtime import CognitionRuntime


def public_url(host: str, port: int) -> str:
    """The URL the card advertises. Loopback binds say `localhost`: conformance kits flag a raw 127.0.0.1."""
    if is_loopback(host):
        return f"http://localhost:{port}"
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class Listening:
    """A server bound and ready to serve: uvicorn's, its socket, the URL its card advertises, its token."""

    server: uvicorn.Server
    sock: socket.socket
    url: str
    token: str | None


def listening(settings: TaskSettings, host: str, port: int, url: str | None = None, max_wait: float = 600.0,
              max_body: int = DEFAULT_MAX_BODY, cognition: CognitionRuntime | None = None) -> Listening:
    """Bind and build the app; `serve` and the Python API's serve_a2a both start here."""
    token = server_token(host)  # refuses beyond loopback without one, before anything binds
    sock = _listen(host, port)
    port = sock.getsockname()[1]  # --port 0 picks a free one; the card must name the real one
    url = (url or public_url(host, port)).rstrip("/")
    app = build_app(settings, url, token, max_wait, cognition, max_body)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=5)
    return Listening(uvicorn.Server(config), sock, url, token)


def serve(settings: TaskSettings, host: str, port: int, url: str | None = None, max_wait: float = 600.0,
          max_body: int = DEFAULT_MAX_BODY) -> None:
    server_token(host)  # a refusal comes before the cognition line
    cognition = _cognition()  # bad CODETETHER_COGNITION_* values also stop us before binding
    ready = listening(settings, host, port, url, max_wait, max_body, cognition)
    auth = "bearer token required" if ready.token else "no auth (loopback only)"
    shown = f"[{host}]" if ":" in host else host
    print(f"CodeTether A2A server on http://{shown}:{ready.sock.getsockname()[1]} (card {ready.url}"
          f"/.well-known/agent-card.json; {auth}; workspace {settings.workspace})", file=sys.stderr, flush=True)
    _one_line_logs()  # after uvicorn has set up its own handlers
    # asyncio.run, not Server.run: on Python 3.11 uvicorn forces the loop's debug mode off, which would hide the
    # slow-callback check (CODETETHER_SLOW_CALLBACK_MS) the tests keep the server honest with.
    asyncio.run(ready.server.serve(sockets=[ready.sock]))


class _NoTraceback(logging.Filter):
    """A client's bad input is logged as one line: the a2a-sdk logs some with a traceback, which says nothing
    to the operator and can be flooded by any client."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def _one_line_logs() -> None:
    """Every handler that prints (uvicorn's, and ours for everything else) gets the filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    for logger in (root, logging.getLogger("uvicorn"), logging.getLogger("uvicorn.access")):
        for existing in logger.handlers:
            existing.addFilter(_NoTraceback())


def _cognition() -> CognitionRuntime:
    """The runtime from CODETETHER_COGNITION_*, and one line saying what it will do (nothing per tick)."""
    from codetether.cognition.runtime import CognitionRuntime
    from codetether.cognition.settings import CognitionSettings

    runtime = CognitionRuntime(CognitionSettings.from_env())
    s = runtime.settings
    if not s.enabled:
        state = "disabled (CODETETHER_COGNITION_ENABLED=false)"
    else:
        where = s.thinker_base_url if s.thinker_backend == "openai_compat" else s.thinker_candle_model_path
        thinker = f"thinker {s.thinker_backend} {where}" if runtime.thinker else "thinker off: template thoughts"
        start = f"auto-start every {runtime.interval_ms} ms" if s.auto_start else "start with POST /v1/cognition/start"
        state = f"{start}; {thinker}; an unreachable thinker only yields failure events"
    print(f"Cognition: {state}", file=sys.stderr, flush=True)
    return runtime


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot resolve --hostname {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    # The protocol named, not 0: asyncio turns Nagle off only on sockets that say they are TCP, and with it on
    # every response after a connection's first waited 40 ms for the client's delayed ACK.
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise CodetetherError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                              "Choose another --port (or stop the process using it).") from None
    # Listen now, not when uvicorn gets going: a client that read the start-up line waits in the backlog
    # instead of being refused while the app is still importing.
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
