"""A stand-in for Google's OAuth token endpoint on 127.0.0.1: checks service-account JWTs, then issues access tokens.

The RS256 check is written from RFC 7518 / PKCS#1 v1.5 with plain integers (no crypto library), so it verifies
the client independently. Stdlib only, never imports codetether.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.harness.http_base import LocalServer, send_json

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# DER prefix of DigestInfo{sha256} in an EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rs256_valid(signing_input: bytes, signature: bytes, n: int, e: int) -> bool:
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    tail = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    return em == b"\x00\x01" + b"\xff" * (k - 3 - len(tail)) + b"\x00" + tail


def verify_jwt(assertion: str, keys: dict[str, tuple[int, int]], audience: str, now: float | None = None) -> str | None:
    """None if the assertion is a valid RS256 service-account grant for ``audience``; else why not.

    ``keys`` maps a client_email to its public key (n, e).
    """
    now = time.time() if now is None else now
    parts = assertion.split(".")
    if len(parts) != 3:
        return "assertion is not a JWT"
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        return "assertion is not valid base64url JSON"
    if header.get("alg") != "RS256":
        return f"alg must be RS256, not {header.get('alg')}"
    key = keys.get(claims.get("iss"))
    if key is None:
        return f"unknown issuer {claims.get('iss')}"
    if not rs256_valid(f"{parts[0]}.{parts[1]}".encode(), signature, *key):
        return "Invalid JWT Signature."
    if claims.get("aud") != audience:
        return f"aud must be {audience}"
    if claims.get("scope") != SCOPE:
        return f"scope must be {SCOPE}"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        return "iat and exp must be integers"
    if abs(iat - now) > 300 or exp <= now or exp - iat > 3600:
        return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
    return None


@dataclass
class GoogleTokenServer(LocalServer):
    daemon_threads = True
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)  # client_email -> (n, e)
    token_ttl: int = 3600
    issued: set[str] = field(default_factory=set)  # every access token handed out (share with LLMServer)
    requests: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    exchanges: int = 0

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        if h.command != "POST":
            return h.send_error(501, f"Unsupported method ({h.command!r})")
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        form = dict(parse_qsl(raw))
        self.requests.append({"path": h.path, "form": form, "content_type": h.headers.get("Content-Type", "")})
        if h.path != "/token":
            return send_json(h, 404, {"error": "not_found"})
        why = ("grant_type must be " + GRANT_TYPE if form.get("grant_type") != GRANT_TYPE
               else verify_jwt(form.get("assertion", ""), self.keys, self.token_uri))
        if why:
            self.rejections.append(why)
            return send_json(h, 400, {"error": "invalid_grant", "error_description": why})
        self.exchanges += 1
        token = f"ya29.vertex-token-{self.exchanges}"
        self.issued.add(token)
        send_json(h, 200, {"access_token": token, "expires_in": self.token_ttl, "token_type": "Bearer"})
