"""GitHub Copilot: device flow into Vault, session-token exchange and refresh, and the Copilot request headers."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from codetether.provider.copilot import CopilotAuth
from codetether.provider.errors import ProviderAuthError
from codetether.provider.model import Message, ToolCallPart, ToolResultPart
from codetether.secrets.model import ProviderSecret
from tests.cli.conftest import assert_clean_failure
from tests.harness.github_server import GitHubServer
from tests.harness.llm_server import Reply
from tests.provider.helpers import complete


@pytest.fixture
def github():
    with GitHubServer() as server:
        yield server


def _fields(github, **over):
    return {"api_key": github.github_token, "token_url": github.url + "/copilot_internal/v2/token", **over}


def test_token_exchange_and_copilot_headers(llm_server, github):
    github.api_url = llm_server.base_url_openai  # the exchange tells where the account's API lives
    llm_server.script(Reply(text="one"), Reply(text="two"))
    first, second = complete("github-copilot", _fields(github), "gpt-5-mini", times=2)
    assert (first.message.text_content, second.message.text_content) == ("one", "two")
    assert github.exchanges == 1  # a still-valid session token is reused
    exchange = github.requests[0]
    assert exchange["path"] == "/copilot_internal/v2/token"
    assert exchange["headers"]["authorization"] == f"token {github.github_token}"
    for req in llm_server.requests:
        assert req.path == "/v1/chat/completions"
        assert req.headers["authorization"] == "Bearer tid=copilot-session-1;exp=1"
        assert req.headers["openai-intent"] == "conversation-edits"
        assert req.headers["x-initiator"] == "user"
        assert req.headers["copilot-integration-id"] == "vscode-chat" and req.headers["editor-version"]
        assert github.github_token not in str(req.headers)  # the GitHub token never reaches the API host


def test_expired_session_token_is_refreshed(llm_server, github):
    github.token_ttl = 30  # inside the refresh margin: every request must exchange again
    llm_server.script(Reply(text="a"), Reply(text="b"))
    complete("github-copilot", _fields(github, base_url=llm_server.base_url_openai), "gpt-5-mini", times=2)
    assert github.exchanges == 2
    assert [r.headers["authorization"] for r in llm_server.requests] == [
        "Bearer tid=copilot-session-1;exp=1", "Bearer tid=copilot-session-2;exp=1"]


def test_tool_follow_up_is_agent_initiated(llm_server, github):
    llm_server.script(Reply(text="ok"))
    history = [Message.text("user", "go"), Message("assistant", [ToolCallPart("c1", "read", "{}")]),
               Message("tool", [ToolResultPart("c1", "body")])]
    complete("github-copilot", _fields(github, base_url=llm_server.base_url_openai), "gpt-5-mini", messages=history)
    assert llm_server.requests[0].headers["x-initiator"] == "agent"


def test_rejected_github_token_names_the_provider(llm_server, github):
    with pytest.raises(ProviderAuthError) as err:
        complete("github-copilot", _fields(github, api_key="gho_revoked_token_999999", base_url=llm_server.url),
                 "gpt-5-mini")
    assert "provider 'github-copilot'" in err.value.message and "auth copilot" in (err.value.hint or "")
    assert llm_server.requests == []


def test_auth_copilot_device_flow_stores_token_then_run_uses_it(cli, vault_clean, llm_server, github):
    vault_clean.put_provider("github-copilot", base_url=llm_server.base_url_openai)  # kept by the merge write
    env = {**cli.env, "CODETETHER_COPILOT_GITHUB_URL": github.url,
           "CODETETHER_COPILOT_OAUTH_CLIENT_ID": github.client_id,
           "CODETETHER_COPILOT_TOKEN_URL": github.url + "/copilot_internal/v2/token"}
    proc = cli("auth", "copilot", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "ABCD-1234" in proc.stdout and github.github_token not in proc.stdout + proc.stderr
    polls = [r for r in github.requests if r["path"] == "/login/oauth/access_token"]
    assert len(polls) == 2  # one authorization_pending, then the token
    stored = vault_clean.read_provider("github-copilot")
    assert stored == {"api_key": github.github_token, "base_url": llm_server.base_url_openai}

    llm_server.script(Reply(text="hello from copilot"))
    proc = cli("run", "--model", "github-copilot/gpt-5-mini", "hi", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "hello from copilot" in proc.stdout and github.exchanges == 1


def test_auth_copilot_with_a_wrong_client_id_fails_clearly(cli, github):
    env = {**cli.env, "CODETETHER_COPILOT_GITHUB_URL": github.url, "CODETETHER_COPILOT_OAUTH_CLIENT_ID": "nope"}
    assert_clean_failure(cli("auth", "copilot", env=env), "GitHub refused the device flow", "--client-id")


def test_revoked_cached_session_token_is_exchanged_again_once(cli, vault_clean, llm_server, github):
    # An earlier process cached a session token in Vault that GitHub has since revoked: the API now refuses it.
    fingerprint = hashlib.sha256(github.github_token.encode()).hexdigest()[:16]
    vault_clean.put_provider("github-copilot", api_key=github.github_token, base_url=llm_server.base_url_openai,
                             token_url=github.url + "/copilot_internal/v2/token", copilot_token="tid=revoked;exp=1",
                             copilot_expires_at=int(time.time() + 1800), copilot_token_for=fingerprint)
    llm_server.bearer_tokens = {"tid=copilot-session-1;exp=1"}  # only a freshly exchanged token is accepted
    llm_server.script(Reply(text="after the re-exchange"))
    proc = cli("run", "--model", "github-copilot/gpt-5-mini", "hi")
    assert proc.returncode == 0, proc.stderr
    assert "after the re-exchange" in proc.stdout and github.exchanges == 1
    assert [r.headers["authorization"] for r in llm_server.requests] == [
        "Bearer tid=revoked;exp=1", "Bearer tid=copilot-session-1;exp=1"]
    assert vault_clean.read_provider("github-copilot")["copilot_token"] == "tid=copilot-session-1;exp=1"


def test_parallel_requests_at_expiry_exchange_once(github):
    secret = ProviderSecret.from_fields("github-copilot", _fields(github), "vault")
    auth = CopilotAuth(secret, "http://127.0.0.1:9/v1", explicit_base=True)

    async def go():
        try:
            return await asyncio.gather(*(auth.session_token() for _ in range(5)))
        finally:
            await auth.aclose()
    assert set(asyncio.run(go())) == {"tid=copilot-session-1;exp=1"} and github.exchanges == 1
