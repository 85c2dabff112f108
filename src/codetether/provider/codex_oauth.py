"""ChatGPT (OpenAI Codex) OAuth: PKCE, the authorize URL, code exchange, device code and token refresh."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from codetether.errors import CodetetherError
from codetether.net import async_client
from codetether.provider.b64url import b64url as _b64
from codetether.secrets.redact import redact, remember

DEFAULT_ISSUER = "https://auth.openai.com"
ISSUER_ENV = "CODETETHER_OPENAI_AUTH_ISSUER"  # tests point it at a local OAuth server
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
SCOPE = "openid profile email offline_access"
ORIGINATOR = "codex_cli_rs"
AUTH_CLAIM = "https://api.openai.com/auth"
SIGN_IN_AGAIN = "Run `codetether auth codex` to sign in with ChatGPT again."


class OAuthError(CodetetherError):
    pass


def issuer(env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(ISSUER_ENV) or DEFAULT_ISSUER).rstrip("/")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), both base64url without padding (RFC 7636)."""
    verifier = _b64(secrets.token_bytes(64))
    return verifier, _b64(hashlib.sha256(verifier.encode()).digest())


def new_state() -> str:
    return _b64(secrets.token_bytes(32))


def authorize_url(base: str, redirect_uri: str, challenge: str, state: str) -> str:
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "scope": SCOPE,
             "code_challenge": challenge, "code_challenge_method": "S256", "id_token_add_organizations": "true",
             "codex_cli_simplified_flow": "true", "state": state, "originator": ORIGINATOR}
    return f"{base}/oauth/authorize?{urlencode(query)}"


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, unverified: only read for the account id and expiry of tokens the issuer just sent."""
    try:
        payload = (token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def account_id(id_token: str | None) -> str | None:
    auth = jwt_claims(id_token).get(AUTH_CLAIM)
    value = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
    return str(value) if value else None


def token_fields(data: dict[str, Any], previous_refresh: str | None = None) -> dict[str, Any]:
    """The Vault fields for a token answer: access_token, refresh_token, expires_at (unix s), id_token, account."""
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError(f"the OpenAI token endpoint answered without an access_token: {redact(str(data))[:200]}",
                         SIGN_IN_AGAIN)
    if data.get("expires_in"):
        try:
            expires = int(time.time() + float(data["expires_in"]))
        except (TypeError, ValueError, OverflowError):
            raise OAuthError("the OpenAI token endpoint sent an expires_in that is not a number of seconds: "
                             f"{redact(str(data['expires_in']))[:40]!r}", "Try again; if it persists, "
                             + SIGN_IN_AGAIN[0].lower() + SIGN_IN_AGAIN[1:]) from None
    else:
        expires = int(jwt_claims(access).get("exp") or time.time() + 3600)
    fields: dict[str, Any] = {"access_token": access, "refresh_token": data.get("refresh_token") or previous_refresh,
                              "expires_at": expires}
    if data.get("id_token"):
        fields["id_token"] = data["id_token"]
        if account_id(data["id_token"]):
            fields["chatgpt_account_id"] = account_id(data["id_token"])
    for value in fields.values():
        if isinstance(value, str):
            remember(value)
    return {k: v for k, v in fields.items() if v is not None}


async def _post_token(base: str, what: str, **kwargs: Any) -> dict[str, Any]:
    url = f"{base}/oauth/token"
    async with async_client(url, timeout=30.0) as http:
        try:
            resp = await http.post(url, headers={"Accept": "application/json"}, **kwargs)
        except httpx.TransportError as exc:
            raise OAuthError(f"could not reach the OpenAI token endpoint {url} ({type(exc).__name__})",
                             "Check the network and try again.") from None
    try:
        data = resp.json()
    except ValueError:
        data = {"error": resp.text[:200]}
    if resp.status_code >= 400 or not isinstance(data, dict):
        detail = data.get("error_description") or data.get("error") if isinstance(data, dict) else data
        raise OAuthError(f"the OpenAI token endpoint refused the {what} (HTTP {resp.status_code}): "
                         f"{redact(str(detail))[:200]}", SIGN_IN_AGAIN)
    return data


async def exchange_code(base: str, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    """Authorization code + PKCE verifier -> the Vault token fields."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": CLIENT_ID, "code_verifier": verifier}
    return token_fields(await _post_token(base, "authorization code", data=form))


async def refresh(base: str, refresh_token: str) -> dict[str, Any]:
    """A new access token (and usually a rotated refresh token); JSON body, as the Codex CLI sends it."""
    body = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token,
            "scope": "openid profile email"}
    return token_fields(await _post_token(base, "refresh token", json=body), previous_refresh=refresh_token)
