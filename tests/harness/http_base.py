"""What every stdlib test server shares: a socketserver on 127.0.0.1 (a free port) in a daemon thread, a JSON answer.

Stdlib only, never imports codetether."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class RoutedHandler(BaseHTTPRequestHandler):
    """Logs nothing; GET and POST go to the owning server's `_handle(handler)`."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner._handle(self)  # type: ignore[attr-defined]

    do_POST = do_GET


class LocalServer:
    """Base of the harness servers: subclasses write `_handle(handler)`, or pass their own handler to `_serve()`."""

    _httpd: socketserver.BaseServer | None = None
    daemon_threads = False  # True: server_close() does not wait for request threads still running

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> Self:
        return self._serve(RoutedHandler, owner=self, daemon_threads=self.daemon_threads)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def _serve(self, handler: type[socketserver.BaseRequestHandler],
               server_class: type[socketserver.BaseServer] = ThreadingHTTPServer, **attrs: Any) -> Self:
        """Bind `server_class` on 127.0.0.1:0, set `attrs` on it before the first request, serve in a thread."""
        httpd = server_class(("127.0.0.1", 0), handler)
        for name, value in attrs.items():
            setattr(httpd, name, value)
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """Answer `status` with `body` as JSON (Content-Length set); `headers` go out first."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
