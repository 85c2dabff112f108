"""Faults at the trust boundary get a clear word: a long provider wait, a malformed VAULT_ADDR, token files."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from codetether.secrets.vault import VaultClient, VaultError, VaultSettings
from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import HttpError, Reply


def _openai(vault, server) -> None:
    vault.put_provider("openai", api_key=API_KEY, base_url=server.base_url_openai)


def test_a_retry_after_beyond_the_cap_fails_at_once_and_says_why(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(HttpError(429, {"error": {"message": "quota"}}, headers={"Retry-After": "3600"}),
                      Reply(text="never"))
    started = time.monotonic()
    proc = cli("run", "--model", "openai/m", "hi")
    assert time.monotonic() - started < 20
    assert_clean_failure(proc, "asks to wait 3600 s", "CODETETHER_PROVIDER_MAX_WAIT")
    assert len(llm_server.requests) == 1


def test_a_long_wait_is_announced_and_the_cap_is_configurable(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(HttpError(503, {"error": {"message": "busy"}}, headers={"Retry-After": "3"}),
                      Reply(text="finally"))
    proc = cli("run", "--model", "openai/m", "--format", "jsonl", "hi")
    assert proc.returncode == 0, proc.stderr
    notices = [e for e in map(json.loads, proc.stdout.splitlines()) if e["type"] == "run.notice"]
    assert notices and "waiting 3 s before retrying" in notices[0]["text"] and "HTTP 503" in notices[0]["text"]
    llm_server.script(HttpError(503, {"error": {"message": "busy"}}, headers={"Retry-After": "3"}),
                      Reply(text="finally"))
    proc = cli("run", "--model", "openai/m", "hi")
    assert proc.returncode == 0 and "waiting 3 s before retrying" in proc.stderr, proc.stderr
    llm_server.script(HttpError(503, {"error": {"message": "busy"}}, headers={"Retry-After": "3"}))
    proc = cli("run", "--model", "openai/m", "hi", env={**cli.env, "CODETETHER_PROVIDER_MAX_WAIT": "1"})
    assert_clean_failure(proc, "asks to wait 3 s")


@pytest.mark.parametrize("addr", ["vault.example.com:8200", "ftp://vault.example.com", "http://", "http://[::1",
                                  "http://host:notaport"])
def test_a_malformed_vault_addr_names_the_setting(cli, addr):
    proc = cli("run", "--model", "openai/m", "hi", env={**cli.env, "VAULT_ADDR": addr})
    assert_clean_failure(proc, "VAULT_ADDR")
    assert proc.returncode == 1  # a user's setting, not an internal error (70)


def test_the_token_can_come_from_a_token_file(cli, vault_clean, llm_server, tmp_path):
    _openai(vault_clean, llm_server)
    llm_server.script(Reply(text="from a file"))
    sink = tmp_path / "agent-sink"
    sink.write_text(vault_clean.token + "\n")
    env = {k: v for k, v in cli.env.items() if k != "VAULT_TOKEN"}
    proc = cli("run", "--model", "openai/m", "hi", env={**env, "VAULT_TOKEN_FILE": str(sink)})
    assert proc.returncode == 0 and "from a file" in proc.stdout, proc.stderr
    (tmp_path / "home" / ".vault-token").write_text(vault_clean.token)  # as `vault login` leaves it
    llm_server.script(Reply(text="from vault login"))
    proc = cli("run", "--model", "openai/m", "hi", env=env)
    assert proc.returncode == 0 and "from vault login" in proc.stdout, proc.stderr
    proc = cli("run", "--model", "openai/m", "hi", env={**env, "VAULT_TOKEN_FILE": str(tmp_path / "missing")})
    assert_clean_failure(proc, "token file", "VAULT_TOKEN_FILE")


def test_a_renewed_token_is_read_again_after_a_403(vault_clean, tmp_path):
    """A Vault Agent rewrites its sink with a new token; the old one is revoked: the next read must use the new."""
    vault_clean.put_provider("openai", api_key=API_KEY)
    sink = tmp_path / "sink"
    sink.write_text("revoked-token-0123456789")
    settings = VaultSettings.from_env({"VAULT_ADDR": vault_clean.addr, "VAULT_TOKEN_FILE": str(sink)})
    assert settings is not None and settings.token_file == sink

    async def read() -> object:
        async with VaultClient(settings) as client:
            return await client.read_provider("openai")

    with pytest.raises(VaultError):
        asyncio.run(read())
    sink.write_text(vault_clean.token)  # the agent renewed it
    secret = asyncio.run(read())
    assert secret is not None and secret.api_key == API_KEY
