"""A stand-in for GitHub's OAuth device flow and Copilot token exchange on 127.0.0.1, with a request log.

Stdlib only, never imports codetether.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl


@dataclass
class GitHubServer:
    client_id: str = "Iv1.test-client"
    github_token: str = "gho_test_github_token_0123456789"
    pending_polls: int = 1  # "authorization_pending" answers before the token is granted
    token_ttl: float = 1800.0  # seconds a Copilot session token lives (below 60 forces a refresh every request)
    api_url: str | None = None  # endpoints.api in the exchange answer
    requests: list[dict[str, Any]] = field(default_factory=list)
    exchanges: int = 0
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = dict(parse_qsl(raw)) if "json" not in self.headers.get("Content-Type", "") else json.loads(raw)
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append({"method": self.command, "path": self.path, "headers": headers, "form": form})
                status, body = owner._answer(self.command, self.path.split("?")[0], headers, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
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

    def _answer(self, method: str, path: str, headers: dict[str, str], form: dict[str, Any]) -> tuple[int, Any]:
        if path == "/login/device/code" and method == "POST":
            if form.get("client_id") != self.client_id:
                return 400, {"error": "unauthorized_client"}
            return 200, {"device_code": "dev-code-1", "user_code": "ABCD-1234", "expires_in": 900, "interval": 0,
                         "verification_uri": "https://github.com/login/device"}
        if path == "/login/oauth/access_token" and method == "POST":
            if form.get("device_code") != "dev-code-1" or form.get("client_id") != self.client_id or \
                    form.get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code":
                return 400, {"error": "bad_verification_code"}
            if self.pending_polls > 0:
                self.pending_polls -= 1
                return 200, {"error": "authorization_pending"}
            return 200, {"access_token": self.github_token, "token_type": "bearer", "scope": "read:user"}
        if path == "/copilot_internal/v2/token" and method == "GET":
            if headers.get("authorization") != f"token {self.github_token}":
                return 401, {"message": "Bad credentials"}
            self.exchanges += 1
            body: dict[str, Any] = {"token": f"tid=copilot-session-{self.exchanges};exp=1",
                                    "expires_at": int(time.time() + self.token_ttl), "refresh_in": 1500}
            if self.api_url:
                body["endpoints"] = {"api": self.api_url}
            return 200, body
        return 404, {"message": "Not Found"}
