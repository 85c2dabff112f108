"""GitHub Copilot: the stored GitHub OAuth token is exchanged for a short-lived Copilot session token."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import httpx

from codetether.net import async_client
from codetether.provider.errors import ProviderAuthError, ProviderUnavailableError
from codetether.provider.model import CompletionRequest, ImagePart
from codetether.secrets.model import ProviderSecret
from codetether.secrets.redact import remember
from codetether.secrets.writeback import write_back

TOKEN_URL = "https://api.github.com/copilot_internal/v2/token"
TOKEN_URL_ENV = "CODETETHER_COPILOT_TOKEN_URL"
REFRESH_MARGIN = 60.0  # refresh a minute early so a token never expires mid-request


def token_url(secret: ProviderSecret, env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    enterprise = secret.field("enterpriseUrl") or secret.field("enterprise_url")
    if secret.field("token_url") or env.get(TOKEN_URL_ENV):
        return secret.field("token_url") or env[TOKEN_URL_ENV]
    if enterprise:
        domain = enterprise.removeprefix("https://").removeprefix("http://").strip("/")
        return f"https://api.{domain}/copilot_internal/v2/token"
    return TOKEN_URL


class CopilotAuth:
    """Holds the session token in memory and exchanges again once it is (nearly) expired."""

    credential_name = "the API key"

    def __init__(self, secret: ProviderSecret, base_url: str, explicit_base: bool):
        self.provider_id = secret.provider_id
        github_token = secret.api_key or secret.field("oauth_token")
        if not github_token:
            raise ProviderAuthError(f"provider '{self.provider_id}' has no GitHub token in Vault",
                                    "Run `codetether auth copilot` to sign in with GitHub and store one.")
        self.github_token: str = github_token
        self.url = token_url(secret)
        self.base_url, self.explicit_base = base_url.rstrip("/"), explicit_base
        self.secret = secret
        self.token: str | None = None
        self.expires_at = 0.0
        self.api: str | None = None
        self.exchanges = 0
        self._http: httpx.AsyncClient | None = None
        self._lock = asyncio.Lock()  # parallel requests at expiry share one exchange
        # A session token written back to Vault by an earlier process is reused while valid, for this GitHub token.
        if secret.field("copilot_token") and secret.field("copilot_token_for") == _fingerprint(github_token):
            self.token, self.api = secret.field("copilot_token"), secret.field("copilot_api")
            expires = secret.field("copilot_expires_at") or "0"
            self.expires_at = float(expires) if expires.replace(".", "", 1).isdigit() else 0.0

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _stale(self) -> bool:
        return self.token is None or time.time() >= self.expires_at - REFRESH_MARGIN

    async def session_token(self) -> str:
        if self._stale():
            async with self._lock:
                if self._stale():  # another request may have exchanged while this one waited
                    await self._exchange()
        assert self.token is not None
        return self.token

    def invalidate(self) -> bool:
        """After a 401 (a cached token revoked early): the next request exchanges the GitHub token again."""
        self.token, self.expires_at = None, 0.0
        return True

    async def _exchange(self) -> None:
        if self._http is None:
            self._http = async_client(self.url, timeout=30.0)
        try:
            resp = await self._http.get(self.url, headers={
                "Authorization": f"token {self.github_token}", "Accept": "application/json",
                "Editor-Version": "codetether/0.1", "User-Agent": "codetether"})
        except httpx.TransportError as exc:
            raise ProviderUnavailableError(f"provider '{self.provider_id}': the Copilot token exchange at "
                                           f"{self.url} failed ({type(exc).__name__})") from None
        if resp.status_code in (401, 403, 404):
            raise ProviderAuthError(
                f"provider '{self.provider_id}' rejected the GitHub token (HTTP {resp.status_code} from the "
                "Copilot token exchange)",
                "Run `codetether auth copilot` again; the account needs an active Copilot subscription.")
        try:
            resp.raise_for_status()
            data = resp.json()
            token = str(data["token"])
        except (httpx.HTTPStatusError, ValueError, KeyError, TypeError):
            raise ProviderUnavailableError(f"provider '{self.provider_id}': the Copilot token exchange answered "
                                           f"HTTP {resp.status_code} without a token") from None
        remember(token)
        now = time.time()
        expires = data.get("expires_at")
        self.expires_at = float(expires) if expires else now + float(data.get("refresh_in") or 1500)
        self.token, self.exchanges = token, self.exchanges + 1
        self.api = (data.get("endpoints") or {}).get("api") or self.api
        fields = {"copilot_token": token, "copilot_expires_at": int(self.expires_at),
                  "copilot_token_for": _fingerprint(self.github_token)}
        await write_back(self.secret, {**fields, **({"copilot_api": self.api} if self.api else {})}, cache=True)

    async def prepare(self, url: str, body: bytes, headers: dict[str, str],
                      request: CompletionRequest) -> tuple[str, dict[str, str]]:
        token = await self.session_token()
        if self.api and not self.explicit_base:  # the account's own API host, as the exchange reports it
            url = self.api.rstrip("/") + url[len(self.base_url):]
        headers["Authorization"] = f"Bearer {token}"  # replaces the GitHub token: it never reaches the API
        last = request.messages[-1].role if request.messages else "user"
        headers["X-Initiator"] = "user" if last == "user" else "agent"
        if any(isinstance(p, ImagePart) for m in request.messages for p in m.parts):
            headers["Copilot-Vision-Request"] = "true"
        return url, headers


def _fingerprint(github_token: str) -> str:
    """Names the GitHub token a stored session token was exchanged for, without storing it twice."""
    return hashlib.sha256(github_token.encode()).hexdigest()[:16]
