"""A stand-in for GitHub's OAuth device flow and Copilot token exchange on 127.0.0.1, with a request log.

Stdlib only, never imports codetether.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.harness.http_base import LocalServer, send_json


@dataclass
class GitHubServer(LocalServer):
    client_id: str = "Iv1.test-client"
    github_token: str = "gho_test_github_token_0123456789"
    pending_polls: int = 1  # "authorization_pending" answers before the token is granted
    token_ttl: float = 1800.0  # seconds a Copilot session token lives (below 60 forces a refresh every request)
    api_url: str | None = None  # endpoints.api in the exchange answer
    requests: list[dict[str, Any]] = field(default_factory=list)
    exchanges: int = 0

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        form = dict(parse_qsl(raw)) if "json" not in h.headers.get("Content-Type", "") else json.loads(raw)
        headers = {k.lower(): v for k, v in h.headers.items()}
        self.requests.append({"method": h.command, "path": h.path, "headers": headers, "form": form})
        status, body = self._answer(h.command, h.path.split("?")[0], headers, form)
        send_json(h, status, body)

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
