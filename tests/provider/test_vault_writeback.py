"""Writing refreshed credentials back to Vault (real OpenBao): check-and-set merges never revert a field another
writer stored meanwhile, and a read-only Vault token is reported once per provider (Copilot's cache: never)."""

from __future__ import annotations

import asyncio

import pytest

from codetether.secrets.model import ProviderSecret
from codetether.secrets.vault import VaultClient, VaultSettings
from codetether.secrets.writeback import write_back


def _secret(provider_id: str, settings: VaultSettings) -> ProviderSecret:
    secret = ProviderSecret.from_fields(provider_id, {}, source="vault")
    secret.vault_id, secret.vault = provider_id, settings
    return secret


@pytest.fixture
def read_only(vault_clean) -> VaultSettings:
    """A real token that may read and list provider secrets but not write them (a common setup)."""
    policy = 'path "secret/*" { capabilities = ["read", "list"] }'
    vault_clean.client.put("/v1/sys/policies/acl/codetether-read-only", json={"policy": policy}).raise_for_status()
    answer = vault_clean.client.post("/v1/auth/token/create", json={"policies": ["codetether-read-only"], "ttl": "1h"})
    answer.raise_for_status()
    return VaultSettings(vault_clean.addr, answer.json()["auth"]["client_token"])


def test_concurrent_write_backs_keep_every_field(vault_clean):
    vault_clean.put_provider("shared-secret", api_key="sk-original-key", base_url="http://127.0.0.1:9")
    settings = VaultSettings(vault_clean.addr, vault_clean.token)

    async def go() -> list[bool]:  # five processes that all read the same version, then write
        return await asyncio.gather(*(write_back(_secret("shared-secret", settings), {f"field_{i}": f"value-{i}"})
                                      for i in range(5)))

    assert asyncio.run(go()) == [True] * 5
    stored = vault_clean.read_provider("shared-secret")
    assert stored == {"api_key": "sk-original-key", "base_url": "http://127.0.0.1:9",
                      **{f"field_{i}": f"value-{i}" for i in range(5)}}
    meta = vault_clean.client.get("/v1/secret/metadata/codetether/providers/shared-secret").json()["data"]
    assert meta["current_version"] == 6


def test_write_back_creates_a_missing_secret_with_cas_zero(vault_clean):
    settings = VaultSettings(vault_clean.addr, vault_clean.token)

    async def go() -> bool:
        return await write_back(_secret("brand-new", settings), {"access_token": "at-new-token-1"})

    assert asyncio.run(go()) is True
    assert vault_clean.read_provider("brand-new") == {"access_token": "at-new-token-1"}


def test_write_provider_never_overwrites_a_newer_version(vault_clean):
    """A stale check-and-set version is refused by Vault; write_provider re-reads and merges instead."""
    vault_clean.put_provider("cas-check", a="1")
    settings = VaultSettings(vault_clean.addr, vault_clean.token)
    stale = vault_clean.client.post("/v1/secret/data/codetether/providers/cas-check",
                                    json={"options": {"cas": 0}, "data": {"a": "lost"}})
    assert stale.status_code == 400 and "check-and-set" in stale.text  # what write_provider relies on

    async def go() -> None:
        async with VaultClient(settings) as client:
            await client.write_provider("cas-check", {"b": "2"})

    asyncio.run(go())
    assert vault_clean.read_provider("cas-check") == {"a": "1", "b": "2"}


def test_read_only_vault_token_warns_once_per_provider(vault_clean, read_only, capsys):
    vault_clean.put_provider("warn-once", access_token="at-old-token-1")

    async def go() -> list[bool]:
        return [await write_back(_secret("warn-once", read_only), {"access_token": f"at-new-token-{i}"})
                for i in range(3)]

    assert asyncio.run(go()) == [False, False, False]
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "'warn-once'" in err and "HTTP 403" in err
    assert "at-new-token" not in err
    assert vault_clean.read_provider("warn-once") == {"access_token": "at-old-token-1"}


def test_copilot_cache_write_back_is_silent_on_a_read_only_token(vault_clean, read_only, capsys):
    vault_clean.put_provider("copilot-cache", api_key="gho_github_token_1")

    async def go() -> bool:
        return await write_back(_secret("copilot-cache", read_only), {"copilot_token": "tid=cached-1"}, cache=True)

    assert asyncio.run(go()) is False
    assert capsys.readouterr().err == ""


def test_copilot_run_with_a_read_only_vault_token_prints_no_warning(cli, vault_clean, read_only, llm_server):
    from tests.harness.github_server import GitHubServer
    from tests.harness.llm_server import Reply

    with GitHubServer() as github:
        vault_clean.put_provider("github-copilot", api_key=github.github_token, base_url=llm_server.base_url_openai,
                                 token_url=github.url + "/copilot_internal/v2/token")
        llm_server.script(Reply(text="answer from copilot"))
        proc = cli("run", "--model", "github-copilot/gpt-5-mini", "hi", env={**cli.env, "VAULT_TOKEN": read_only.token})
    assert proc.returncode == 0, proc.stderr
    assert "answer from copilot" in proc.stdout and "warning" not in proc.stderr
    assert "copilot_token" not in vault_clean.read_provider("github-copilot")
