"""The Responses WebSocket under trouble, against the real ws_server: a stalled stream times out and is retried
like an HTTP read timeout, a cancelled request closes its socket, and openai-codex with an API key uses it too."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from codetether.provider.catalog import spec_for
from codetether.provider.client import Provider
from codetether.provider.errors import ProviderUnavailableError
from codetether.provider.model import CompletionRequest, Message
from codetether.secrets.model import ProviderSecret
from tests.harness.llm_server import Reply
from tests.harness.ws_server import Stall, WSResponsesServer

BACKEND = "/backend-api/codex"


@pytest.fixture
def ws():
    with WSResponsesServer() as server:
        yield server


def _provider(fields: dict, attempts: int = 2) -> Provider:
    secret = ProviderSecret.from_fields("openai-codex", fields, source="vault")
    spec = spec_for("openai-codex", secret.base_url)
    assert spec is not None
    return Provider(spec, secret, max_attempts=attempts, backoff_base=0.01)


def _chatgpt(ws: WSResponsesServer) -> dict:
    return {"access_token": "at-chatgpt-token", "chatgpt_account_id": "acct-1",
            "expires_at": int(time.time() + 3600), "base_url": ws.url + BACKEND}


def _request(model: str = "gpt-5.5") -> CompletionRequest:
    return CompletionRequest(model, [Message.text("user", "hi")], [], max_tokens=64, stream=True)


async def _complete(provider: Provider, deltas: list | None = None):
    try:  # bounded, so a hang fails the test instead of freezing the run
        return await asyncio.wait_for(provider.complete(_request(), deltas.append if deltas is not None else None), 20)
    finally:
        await provider.aclose()


@pytest.mark.parametrize("events", [0, 1])  # silent before the first event / after response.created
def test_stalled_websocket_times_out_and_is_retried(isolated_env, monkeypatch, ws, events):
    monkeypatch.setenv("CODETETHER_STEP_TIMEOUT_SECS", "0.5")
    ws.script.extend([Stall(Reply(text="lost"), events=events), Reply(text="after the stall")])
    started = time.monotonic()
    answer = asyncio.run(_complete(_provider(_chatgpt(ws))))
    assert answer.message.text_content == "after the stall"
    assert time.monotonic() - started < 10
    assert len(ws.handshakes) == 2 and len(ws.frames) == 2  # the stalled socket was dropped, not pooled


def test_stall_after_text_was_shown_fails_with_the_timeout(isolated_env, monkeypatch, ws):
    monkeypatch.setenv("CODETETHER_STEP_TIMEOUT_SECS", "0.5")
    ws.script.extend([Stall(Reply(text="half of it"), events=3), Reply(text="never asked")])
    deltas: list = []
    with pytest.raises(ProviderUnavailableError) as err:
        asyncio.run(_complete(_provider(_chatgpt(ws)), deltas))
    assert deltas  # text was shown: a retry would repeat it
    assert "no WebSocket event for 0.5 s (CODETETHER_STEP_TIMEOUT_SECS)" in err.value.message
    assert len(ws.frames) == 1


def test_cancelled_request_closes_its_websocket(isolated_env, ws):
    ws.script.append(Stall())

    async def go() -> int:
        provider = _provider(_chatgpt(ws))
        task = asyncio.create_task(provider.complete(_request()))
        for _ in range(200):
            if ws.frames:
                break
            await asyncio.sleep(0.02)
        assert ws.frames, "the request never reached the server"
        task.cancel()  # Esc in the TUI, an A2A cancel
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for _ in range(150):  # the provider is still open: only the request's own socket must be gone
            if ws.closed:
                break
            await asyncio.sleep(0.02)
        closed = ws.closed
        await provider.aclose()
        return closed

    assert asyncio.run(go()) == 1


def test_api_key_openai_codex_uses_the_websocket(isolated_env, ws):
    ws.script.extend([Reply(text="one"), Reply(text="two")])
    fields = {"api_key": "sk-codex-api-key-1234", "base_url": ws.url + "/v1"}

    async def go() -> list[str]:
        provider = _provider(fields)
        try:
            return [(await provider.complete(_request())).message.text_content for _ in range(2)]
        finally:
            await provider.aclose()

    assert asyncio.run(go()) == ["one", "two"]
    (handshake,) = ws.handshakes  # pooled: both requests on one connection
    assert handshake["path"] == "/v1/responses"
    assert handshake["headers"]["authorization"] == "Bearer sk-codex-api-key-1234"
    assert handshake["headers"]["openai-beta"] == "responses_websockets=2026-02-06"
    assert [f["type"] for f in ws.frames] == ["response.create"] * 2 and ws.frames[0]["model"] == "gpt-5.5"


def test_api_key_openai_codex_http_transport_setting(isolated_env, monkeypatch, llm_server):
    monkeypatch.setenv("CODETETHER_OPENAI_CODEX_TRANSPORT", "http")
    llm_server.script(Reply(text="over sse"))
    fields = {"api_key": "sk-codex-api-key-1234", "base_url": llm_server.url + "/v1"}
    assert asyncio.run(_complete(_provider(fields))).message.text_content == "over sse"
    assert [(r.method, r.path) for r in llm_server.requests] == [("POST", "/v1/responses")]
