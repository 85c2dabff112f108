"""A stand-in for OpenAI's ChatGPT OAuth issuer (auth.openai.com) on 127.0.0.1, written from the protocol.

PKCE authorization code (S256 checked), the Codex CLI device-code endpoints, refresh with rotating refresh
tokens. Stdlib only, never imports codetether."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.harness.http_base import LocalServer, send_json

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
SCOPE = "openid profile email offline_access"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def unsigned_jwt(claims: dict[str, Any]) -> str:
    return ".".join(b64url(json.dumps(p).encode()) for p in ({"alg": "none", "typ": "JWT"}, claims)) + ".sig"


@dataclass
class OAuthServer(LocalServer):
    account_id: str = "acct-test-42"
    access_ttl: int = 3600  # expires_in of every access token
    pending_polls: int = 1  # 403 "pending" answers of the device-code poll before the grant
    device_interval: Any = "0"  # the device-code start answer's polling interval
    before_refresh: Callable[[], None] | None = None  # runs before each refresh grant is checked (races)
    requests: list[dict[str, Any]] = field(default_factory=list)
    issued: int = 0  # token sets handed out (code exchanges + refreshes)
    refreshes: int = 0
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> challenge, redirect_uri
    _refresh_ok: set[str] = field(default_factory=set)  # only the latest refresh token is accepted

    def issue(self) -> dict[str, Any]:
        """A fresh token set; previous refresh tokens stop working (rotation)."""
        self.issued += 1
        n, salt = self.issued, secrets.token_hex(4)
        id_token = unsigned_jwt({"email": "dev@example.com", "exp": int(time.time()) + 3600,
                                 "https://api.openai.com/auth": {"chatgpt_account_id": self.account_id,
                                                                 "chatgpt_plan_type": "plus"}})
        refresh = f"rt-{n}-{salt}"
        self._refresh_ok = {refresh}
        return {"access_token": f"at-{n}-{salt}", "refresh_token": refresh, "id_token": id_token,
                "token_type": "Bearer", "expires_in": self.access_ttl}

    def grant_code(self, challenge: str, redirect_uri: str) -> str:
        code = "code-" + secrets.token_hex(6)
        self._codes[code] = {"challenge": challenge, "redirect_uri": redirect_uri}
        return code

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        is_json = "json" in h.headers.get("Content-Type", "")
        body = (json.loads(raw) if raw else {}) if is_json else dict(parse_qsl(raw))
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query))
        self.requests.append({"method": h.command, "path": parts.path, "query": query, "body": body, "json": is_json})
        status, answer, location = self._answer(h.command, parts.path, query, body)
        send_json(h, status, answer, {"Location": location} if location else None)

    def _answer(self, method: str, path: str, query: dict[str, str],
                body: dict[str, Any]) -> tuple[int, Any, str | None]:
        if method == "GET" and path == "/oauth/authorize":
            problems = [k for k, want in (("client_id", CLIENT_ID), ("response_type", "code"),
                                          ("code_challenge_method", "S256"), ("scope", SCOPE))
                        if query.get(k) != want]
            if problems or not query.get("code_challenge") or not query.get("state") or \
                    not query.get("redirect_uri", "").startswith("http://localhost:"):
                return 400, {"error": "invalid_request", "bad": problems}, None
            code = self.grant_code(query["code_challenge"], query["redirect_uri"])
            return 302, {}, f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        if method == "POST" and path == "/oauth/token":
            return (*self._token(body), None)
        if method == "POST" and path == "/api/accounts/deviceauth/usercode":
            if body.get("client_id") != CLIENT_ID:
                return 400, {"error": "unknown client"}, None
            return 200, {"device_auth_id": "dev-auth-1", "user_code": "WXYZ-9876", "interval": self.device_interval}, None
        if method == "POST" and path == "/api/accounts/deviceauth/token":
            if body != {"device_auth_id": "dev-auth-1", "user_code": "WXYZ-9876"}:
                return 400, {"error": "bad device code"}, None
            if self.pending_polls > 0:
                self.pending_polls -= 1
                return 403, {"error": "deviceauth_authorization_pending"}, None
            verifier = b64url(secrets.token_bytes(32))
            code = self.grant_code(s256(verifier), f"{self.url}/deviceauth/callback")
            return 200, {"authorization_code": code, "code_challenge": s256(verifier), "code_verifier": verifier}, None
        return 404, {"error": "not found"}, None

    def _token(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        if body.get("grant_type") == "authorization_code":
            grant = self._codes.pop(str(body.get("code")), None)
            if grant is None or grant["redirect_uri"] != body.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "unknown code or redirect_uri"}
            if s256(str(body.get("code_verifier"))) != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier does not match"}
            return 200, self.issue()
        if body.get("grant_type") == "refresh_token":
            if self.before_refresh is not None:
                self.before_refresh()
            if body.get("refresh_token") not in self._refresh_ok:
                return 401, {"error": "refresh_token_reused", "error_description": "refresh token already used"}
            self.refreshes += 1
            return 200, self.issue()
        return 400, {"error": "unsupported_grant_type"}
