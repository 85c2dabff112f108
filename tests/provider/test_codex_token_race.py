"""Several processes share one openai-codex secret in Vault and its rotating refresh token: whoever refreshes
second must start from what Vault holds now, not from its own stale copy (real OpenBao + local OAuth server)."""

from __future__ import annotations

import asyncio
import time

import pytest

from codetether.provider.codex_auth import CodexAuth
from codetether.provider.errors import ProviderAuthError
from codetether.provider.model import CompletionRequest
from codetether.secrets.vault import VaultClient, VaultSettings
from tests.harness.oauth_server import OAuthServer

URL = "http://127.0.0.1:9/backend-api/codex/responses"  # never contacted: only the headers are made


@pytest.fixture
def oauth(isolated_env, monkeypatch):
    with OAuthServer() as server:
        monkeypatch.setenv("CODETETHER_OPENAI_AUTH_ISSUER", server.url)
        yield server


def _store(vault, tokens: dict, expires_in: float) -> None:
    vault.put_provider("openai-codex", access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                       chatgpt_account_id="acct-test-42", expires_at=int(time.time() + expires_in),
                       base_url="http://127.0.0.1:9/backend-api/codex")


async def _process(vault) -> CodexAuth:
    """What a fresh codetether process holds: the secret as Vault had it at start-up."""
    async with VaultClient(VaultSettings(vault.addr, vault.token)) as client:
        secret = await client.read_provider("openai-codex")
    assert secret is not None and secret.vault_id == "openai-codex"
    return CodexAuth(secret)


async def _bearer(auth: CodexAuth) -> str:
    _, headers = await auth.prepare(URL, b"", {}, CompletionRequest("gpt-5.5", []))
    return headers["Authorization"].removeprefix("Bearer ")


def test_second_process_adopts_the_token_the_first_one_stored(vault_clean, oauth):
    _store(vault_clean, oauth.issue(), expires_in=-10)

    async def go() -> tuple[str, str]:
        first, second = await _process(vault_clean), await _process(vault_clean)
        return await _bearer(first), await _bearer(second)

    first, second = asyncio.run(go())
    assert first == second == vault_clean.read_provider("openai-codex")["access_token"]
    assert oauth.refreshes == 1  # the second process did not refresh with its used token


def test_expired_token_in_vault_is_refreshed_with_the_vault_refresh_token(vault_clean, oauth):
    _store(vault_clean, oauth.issue(), expires_in=-10)

    async def go() -> str:
        first, second = await _process(vault_clean), await _process(vault_clean)
        await _bearer(first)
        stored = vault_clean.read_provider("openai-codex")  # by now the first one's token has expired as well
        vault_clean.put_provider("openai-codex", **{**stored, "expires_at": int(time.time() - 5)})
        return await _bearer(second)

    token = asyncio.run(go())
    assert oauth.refreshes == 2 and token.startswith("at-3-")
    assert vault_clean.read_provider("openai-codex")["access_token"] == token


def test_refresh_refused_after_a_rotation_in_between_retries_with_vault(vault_clean, oauth):
    _store(vault_clean, oauth.issue(), expires_in=-10)
    raced: list[str] = []

    def other_process_rotates_first() -> None:  # between this process's Vault read and its refresh
        if not raced:
            tokens = oauth.issue()
            raced.append(tokens["refresh_token"])
            _store(vault_clean, tokens, expires_in=-5)

    oauth.before_refresh = other_process_rotates_first

    async def go() -> tuple[str, CodexAuth]:
        auth = await _process(vault_clean)
        return await _bearer(auth), auth

    token, auth = asyncio.run(go())
    sent = [r["body"]["refresh_token"] for r in oauth.requests if r["body"].get("grant_type") == "refresh_token"]
    assert sent[-1] == raced[0] and len(sent) == 2  # refused once, then Vault's rotated token
    assert token.startswith("at-3-") and auth.refreshes == 1
    assert vault_clean.read_provider("openai-codex")["access_token"] == token


def test_refresh_token_used_everywhere_still_asks_to_sign_in(vault_clean, oauth):
    _store(vault_clean, oauth.issue(), expires_in=-10)
    oauth.issue()  # rotated by someone who never stored it: nothing in Vault can help

    async def go() -> None:
        await _bearer(await _process(vault_clean))

    with pytest.raises(ProviderAuthError) as err:
        asyncio.run(go())
    assert "refresh token already used" in err.value.message and "codetether auth codex" in (err.value.hint or "")
    assert len([r for r in oauth.requests if r["path"] == "/oauth/token"]) == 1  # no pointless retries
