"""openai-codex with ChatGPT sign-in: `auth codex` (PKCE and device code) into OpenBao, the Codex backend's
headers and body, token refresh written back to Vault, the WebSocket transport with its SSE fallback, and the
Copilot session token write-back."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codetether.errors import ConfigError
from codetether.provider.openai_codex import transport
from tests.cli.conftest import assert_clean_failure
from tests.harness.github_server import GitHubServer
from tests.harness.llm_server import HttpError, Reply, ToolCall
from tests.harness.oauth_server import CLIENT_ID, OAuthServer
from tests.harness.ws_server import WSResponsesServer

BACKEND = "/backend-api/codex"


@pytest.fixture
def oauth():
    with OAuthServer() as server:
        yield server


@pytest.fixture
def ws():
    with WSResponsesServer() as server:
        yield server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signed_in(vault, oauth, base_url: str, expires_in: float = 3600) -> dict:
    """Store a token set the OAuth server really issued, as `auth codex` would."""
    tokens = oauth.issue()
    fields = {"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
              "id_token": tokens["id_token"], "chatgpt_account_id": oauth.account_id,
              "expires_at": int(time.time() + expires_in), "base_url": base_url}
    vault.put_provider("openai-codex", **fields)
    return fields


def test_pkce_sign_in_stores_tokens_in_vault(cli, vault_clean, oauth):
    port = _free_port()
    env = {**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url, "CODETETHER_OPENAI_AUTH_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "codetether", "auth", "codex"], cwd=cli.cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            url = line.strip() if "/oauth/authorize?" in line else ""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert url.startswith(f"{oauth.url}/oauth/authorize?")
        assert query["client_id"] == CLIENT_ID and query["scope"] == "openid profile email offline_access"
        assert query["redirect_uri"] == f"http://localhost:{port}/auth/callback"
        assert query["code_challenge_method"] == "S256" and query["state"] and len(query["code_challenge"]) == 43
        with httpx.Client(trust_env=False, timeout=10) as http:
            forged = http.get(f"http://127.0.0.1:{port}/auth/callback", params={"code": "x", "state": "forged"})
            assert forged.status_code == 400 and "State mismatch" in forged.text  # and the sign-in goes on
            redirect = http.get(url)  # the "browser": the issuer redirects back with code and state
            assert redirect.status_code == 302
            callback = redirect.headers["location"].replace("http://localhost:", "http://127.0.0.1:")
            page = http.get(callback)
        assert page.status_code == 200 and "Signed in" in page.text
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    exchange = next(r for r in oauth.requests if r["path"] == "/oauth/token")
    assert exchange["body"]["grant_type"] == "authorization_code" and exchange["body"]["code_verifier"]
    stored = vault_clean.read_provider("openai-codex")
    assert stored["access_token"] == "at-1-" + stored["access_token"].split("-")[2]
    assert stored["refresh_token"].startswith("rt-1-") and stored["id_token"].count(".") == 2
    assert stored["chatgpt_account_id"] == oauth.account_id
    assert isinstance(stored["expires_at"], int) and 3500 < stored["expires_at"] - time.time() <= 3600
    assert stored["access_token"] not in out + err and stored["refresh_token"] not in out + err


def test_device_code_sign_in(cli, vault_clean, oauth):
    proc = cli("auth", "codex", "--device-code", env={**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url})
    assert proc.returncode == 0, proc.stderr
    assert "WXYZ-9876" in proc.stdout and f"{oauth.url}/codex/device" in proc.stdout
    polls = [r for r in oauth.requests if r["path"] == "/api/accounts/deviceauth/token"]
    assert len(polls) == 2 and polls[0]["json"]  # one pending answer, then the grant
    exchange = next(r for r in oauth.requests if r["path"] == "/oauth/token")["body"]
    assert exchange["redirect_uri"] == f"{oauth.url}/deviceauth/callback"
    stored = vault_clean.read_provider("openai-codex")
    assert stored["access_token"].startswith("at-1-") and stored["chatgpt_account_id"] == oauth.account_id


def test_device_code_disabled_fails_clearly(cli, oauth):
    proc = cli("auth", "codex", "--device-code", env={**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url + "/nope"})
    assert_clean_failure(proc, "refused the device-code sign-in (HTTP 404)", "without --device-code")


def _codex_env(cli, oauth, transport_name: str | None = "http") -> dict[str, str]:
    env = {**cli.env, "CODETETHER_OPENAI_AUTH_ISSUER": oauth.url}
    if transport_name:
        env["CODETETHER_OPENAI_CODEX_TRANSPORT"] = transport_name
    return env


def test_run_through_chatgpt_hits_the_codex_backend(cli, vault_clean, oauth, llm_server):
    fields = _signed_in(vault_clean, oauth, llm_server.url + BACKEND)
    llm_server.script(Reply(text="hello from codex"))
    proc = cli("run", "--model", "codex/gpt-5.5:high", "hi", env=_codex_env(cli, oauth))
    assert proc.returncode == 0, proc.stderr
    assert "hello from codex" in proc.stdout
    (req,) = llm_server.requests
    assert req.path == BACKEND + "/responses"
    assert req.headers["authorization"] == f"Bearer {fields['access_token']}"
    assert req.headers["chatgpt-account-id"] == oauth.account_id
    assert req.headers["openai-beta"] == "responses=experimental" and req.headers["originator"] == "codex_cli_rs"
    body = req.body
    assert body["model"] == "gpt-5.5" and body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"] and body["prompt_cache_key"]
    assert (body["stream"], body["store"], body["tool_choice"], body["parallel_tool_calls"]) == (True, False, "auto",
                                                                                               True)
    assert isinstance(body["instructions"], str) and body["input"][-1]["content"][0]["text"] == "hi"
    assert "max_output_tokens" not in body and "temperature" not in body
    assert oauth.refreshes == 0 and fields["access_token"] not in proc.stdout + proc.stderr


def test_expired_token_is_refreshed_and_written_back(cli, vault_clean, oauth, llm_server):
    old = _signed_in(vault_clean, oauth, llm_server.url + BACKEND, expires_in=-10)
    llm_server.script(Reply(text="one"), Reply(text="two"))
    assert cli("run", "--model", "openai-codex/gpt-5.5", "hi", env=_codex_env(cli, oauth)).returncode == 0
    assert oauth.refreshes == 1
    refresh = next(r for r in oauth.requests if r["body"].get("grant_type") == "refresh_token")
    assert refresh["body"]["refresh_token"] == old["refresh_token"]
    stored = vault_clean.read_provider("openai-codex")
    assert stored["access_token"].startswith("at-2-") and stored["refresh_token"].startswith("rt-2-")
    assert stored["expires_at"] > time.time() + 3000 and stored["base_url"] == old["base_url"]
    assert llm_server.requests[0].headers["authorization"] == f"Bearer {stored['access_token']}"
    # The next process starts from the rotated tokens in Vault: no second refresh.
    proc = cli("run", "--model", "openai-codex/gpt-5.5", "again", env=_codex_env(cli, oauth))
    assert proc.returncode == 0, proc.stderr
    assert oauth.refreshes == 1 and "two" in proc.stdout


def test_rejected_token_is_refreshed_once_then_retried(cli, vault_clean, oauth, llm_server):
    old = _signed_in(vault_clean, oauth, llm_server.url + BACKEND)
    llm_server.script(HttpError(401, {"error": {"message": "token revoked"}}), Reply(text="after refresh"))
    proc = cli("run", "--model", "openai-codex/gpt-5.5", "hi", env=_codex_env(cli, oauth))
    assert proc.returncode == 0, proc.stderr
    assert "after refresh" in proc.stdout and oauth.refreshes == 1
    first, second = llm_server.requests
    assert first.headers["authorization"] == f"Bearer {old['access_token']}"
    assert second.headers["authorization"] == f"Bearer {vault_clean.read_provider('openai-codex')['access_token']}"


def test_used_refresh_token_asks_to_sign_in_again(cli, vault_clean, oauth, llm_server):
    _signed_in(vault_clean, oauth, llm_server.url + BACKEND, expires_in=-10)
    oauth.issue()  # rotates: the stored refresh token is now a used one
    proc = cli("run", "--model", "openai-codex/gpt-5.5", "hi", env=_codex_env(cli, oauth))
    assert_clean_failure(proc, "provider 'openai-codex'", "refresh token already used", "codetether auth codex")
    assert llm_server.requests == []


def test_websocket_transport_with_a_pooled_connection(cli, vault_clean, oauth, ws):
    fields = _signed_in(vault_clean, oauth, ws.url + BACKEND)
    ws.script.extend([Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo.")])
    proc = cli("run", "--agent", "build", "--model", "openai-codex/gpt-5.5", "what does app.py print?",
               env=_codex_env(cli, oauth, transport_name=None))  # WebSocket is the default
    assert proc.returncode == 0, proc.stderr
    assert "It prints helo." in proc.stdout
    (handshake,) = ws.handshakes  # both requests went over one pooled connection
    headers = handshake["headers"]
    assert handshake["path"] == BACKEND + "/responses"
    assert headers["authorization"] == f"Bearer {fields['access_token']}"
    assert headers["chatgpt-account-id"] == oauth.account_id and headers["originator"] == "codex_cli_rs"
    assert headers["openai-beta"] == "responses_websockets=2026-02-06"
    first, second = ws.frames
    assert first["type"] == second["type"] == "response.create"
    assert first["model"] == "gpt-5.5" and first["include"] == ["reasoning.encrypted_content"]
    assert "read" in {t["name"] for t in first["tools"]} and first["parallel_tool_calls"] is True
    outputs = [i for i in second["input"] if i.get("type") == "function_call_output"]
    assert "helo" in outputs[0]["output"]


def test_refused_handshake_falls_back_to_sse_for_the_session(cli, vault_clean, oauth, llm_server):
    _signed_in(vault_clean, oauth, llm_server.url + BACKEND)  # llm_server answers the upgrade with 404
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))
    proc = cli("run", "--agent", "build", "--model", "openai-codex/gpt-5.5", "what does app.py print?",
               env=_codex_env(cli, oauth, transport_name="ws"))
    assert proc.returncode == 0, proc.stderr
    assert "It prints helo." in proc.stdout
    assert [(r.method, r.path) for r in llm_server.requests] == [
        ("GET", BACKEND + "/responses"), ("POST", BACKEND + "/responses"), ("POST", BACKEND + "/responses")]
    assert llm_server.requests[0].headers["upgrade"].lower() == "websocket"


def test_transport_setting():
    assert transport("gpt-5.5", {}) == "ws"
    assert transport("gpt-5.5", {"CODETETHER_OPENAI_CODEX_TRANSPORT": "HTTP"}) == "http"
    assert transport("gpt-5.6-terra:high", {}) == "http"  # these models need HTTP
    with pytest.raises(ConfigError) as err:
        transport("gpt-5.5", {"CODETETHER_OPENAI_CODEX_TRANSPORT": "carrier-pigeon"})
    assert "CODETETHER_OPENAI_CODEX_TRANSPORT" in err.value.message and "ws" in (err.value.hint or "")


def test_copilot_session_token_is_written_back_and_reused(cli, vault_clean, llm_server):
    with GitHubServer() as github:
        vault_clean.put_provider("github-copilot", api_key=github.github_token, base_url=llm_server.base_url_openai,
                                 token_url=github.url + "/copilot_internal/v2/token")
        llm_server.script(Reply(text="first"), Reply(text="second"))
        assert cli("run", "--model", "github-copilot/gpt-5-mini", "hi").returncode == 0
        stored = vault_clean.read_provider("github-copilot")
        assert stored["copilot_token"] == "tid=copilot-session-1;exp=1"
        assert stored["copilot_expires_at"] > time.time() + 1000 and stored["api_key"] == github.github_token
        proc = cli("run", "--model", "github-copilot/gpt-5-mini", "again")
        assert proc.returncode == 0, proc.stderr
        assert "second" in proc.stdout and github.exchanges == 1  # the stored session token was reused
        assert "tid=copilot-session" not in proc.stdout + proc.stderr
