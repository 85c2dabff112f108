"""ChatGPT sign-in for openai-codex: bearer access token + account header, refreshed and written back to Vault."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from codetether.provider import codex_oauth
from codetether.provider.errors import ProviderAuthError
from codetether.provider.model import CompletionRequest
from codetether.secrets.model import ProviderSecret
from codetether.secrets.writeback import write_back

REFRESH_MARGIN = 60.0  # refresh a minute early so a token never expires mid-request


class CodexAuth:
    """Holds the OAuth tokens of one openai-codex secret; refreshes on expiry and after a 401."""

    credential_name = "the ChatGPT access token"

    def __init__(self, secret: ProviderSecret):
        self.secret = secret
        self.provider_id = secret.provider_id
        self.access = secret.field("access_token")
        self.refresh_token = secret.field("refresh_token")
        if not (self.access or self.refresh_token):
            raise ProviderAuthError(f"provider '{self.provider_id}' has neither access_token nor refresh_token "
                                    "in Vault", codex_oauth.SIGN_IN_AGAIN)
        self.expires_at = _number(secret.field("expires_at")) or float(
            codex_oauth.jwt_claims(self.access).get("exp") or 0) or float("inf")  # unknown: trust it until a 401
        self.account = secret.field("chatgpt_account_id") or codex_oauth.account_id(secret.field("id_token"))
        self.refreshes = 0
        self._lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        pass

    def invalidate(self) -> bool:
        """After a 401: the next prepare() refreshes, if there is a refresh token to do it with."""
        if not self.refresh_token:
            return False
        self.expires_at = 0.0
        return True

    async def prepare(self, url: str, body: bytes, headers: dict[str, str],
                      request: CompletionRequest) -> tuple[str, dict[str, str]]:
        if self._stale():
            await self._refresh()
        headers["Authorization"] = f"Bearer {self.access}"
        if self.account:
            headers["chatgpt-account-id"] = self.account
        return url, headers

    def _stale(self) -> bool:
        return not self.access or time.time() >= self.expires_at - REFRESH_MARGIN

    async def _refresh(self) -> None:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if not self._stale():
                return  # a parallel request refreshed while this one waited
            # Other processes share this secret and rotate its refresh token: Vault holds the newest one. It is
            # read before refreshing, and once more if the refresh is refused (rotated in between).
            tried: list[str] = []
            last: codex_oauth.OAuthError | None = None
            for _ in range(2):
                stored = await self._stored()
                if self._adopt(stored):
                    return
                vault_token = stored.field("refresh_token") if stored is not None else None
                for token in dict.fromkeys(t for t in (vault_token, self.refresh_token) if t and t not in tried):
                    tried.append(token)
                    try:
                        fields = await codex_oauth.refresh(codex_oauth.issuer(), token)
                    except codex_oauth.OAuthError as exc:
                        last = exc
                        continue
                    await self._store(fields)
                    return
            if last is None:
                raise ProviderAuthError(f"provider '{self.provider_id}': the ChatGPT access token expired and "
                                        "there is no refresh_token", codex_oauth.SIGN_IN_AGAIN)
            raise ProviderAuthError(f"provider '{self.provider_id}': {last.message}", last.hint)

    async def _stored(self) -> ProviderSecret | None:
        """The secret as Vault holds it now, or None (not from Vault, or Vault unreadable: go on with ours)."""
        if self.secret.vault is None or not self.secret.vault_id:
            return None
        from codetether.secrets.vault import VaultClient, VaultError

        try:
            async with VaultClient(self.secret.vault) as vault:
                return await vault.read_provider(self.secret.vault_id)
        except VaultError:
            return None

    def _adopt(self, stored: ProviderSecret | None) -> bool:
        """Take a fresh access token another process stored; False when Vault has none newer than ours."""
        access = stored.field("access_token") if stored is not None else None
        if stored is None or not access or access == self.access:
            return False
        expires = _number(stored.field("expires_at")) or float(codex_oauth.jwt_claims(access).get("exp") or 0)
        if time.time() >= expires - REFRESH_MARGIN:
            return False
        self.access, self.expires_at = access, expires
        self.refresh_token = stored.field("refresh_token") or self.refresh_token
        self.account = stored.field("chatgpt_account_id") or self.account
        self.secret.extra.update({k: v for k, v in stored.extra.items() if k in _TOKEN_FIELDS})
        return True

    async def _store(self, fields: dict[str, Any]) -> None:
        # Refresh tokens rotate: the new one must reach Vault or the next process cannot sign in.
        await write_back(self.secret, fields)
        self.access, self.refresh_token = fields["access_token"], fields.get("refresh_token")
        self.expires_at = float(fields["expires_at"])
        self.account = fields.get("chatgpt_account_id") or self.account
        self.refreshes += 1


_TOKEN_FIELDS = ("access_token", "refresh_token", "id_token", "expires_at", "chatgpt_account_id")


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0
