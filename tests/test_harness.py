"""Tests of the test harness itself: the scripted LLM server, its standalone mode and the vault fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.llm_server import HttpError, LLMServer, Reply, Stall, ToolCall

ARGS = {"path": "src/a.py", "lines": [1, 20], "note": "quotes \" and ünïcode"}
OPENAI_BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_BODY = {"model": "claude-test", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def client() -> Any:
    with httpx.Client(timeout=10, trust_env=False) as c:  # never route 127.0.0.1 through a proxy
        yield c


def sse_events(client: httpx.Client, url: str, body: dict) -> list[tuple[str | None, str]]:
    """POST and collect (event, data) pairs from a text/event-stream answer."""
    events, event = [], None
    with client.stream("POST", url, json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, line[6:]))
                event = None
    return events


def test_openai_non_streaming_text_and_tool_calls(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="Hello there", usage=(12, 3)),
                      Reply(tool_calls=[ToolCall("read", ARGS), ToolCall("edit", '{"path": ')]))
    r = client.post(llm_server.base_url_openai + "/chat/completions", json=OPENAI_BODY)
    data = r.json()
    assert r.status_code == 200 and data["object"] == "chat.completion" and data["model"] == "gpt-test"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "Hello there"}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}

    choice = client.post(llm_server.base_url_openai + "/chat/completions", json=OPENAI_BODY).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [c["type"] for c in calls] == ["function", "function"] and calls[0]["id"] != calls[1]["id"]
    assert calls[0]["function"]["name"] == "read" and json.loads(calls[0]["function"]["arguments"]) == ARGS
    assert calls[1]["function"]["arguments"] == '{"path": '


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions", "/openai/v1/chat/completions",
                                  "/v1beta/openai/chat/completions?key=x"])
def test_openai_any_prefix(llm_server: LLMServer, client: httpx.Client, path: str) -> None:
    llm_server.script(Reply(text="ok"))
    assert client.post(llm_server.url + path, json=OPENAI_BODY).json()["choices"][0]["message"]["content"] == "ok"


def test_openai_streaming(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="Let me look at that file.", tool_calls=[ToolCall("read", ARGS),
                                                                         ToolCall("bash", {"cmd": "ls"})],
                            usage=(40, 9)))
    body = {**OPENAI_BODY, "stream": True, "stream_options": {"include_usage": True}}
    events = sse_events(client, llm_server.base_url_openai + "/chat/completions", body)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 49
    text, calls, finish = "", {}, None
    content_chunks = 0
    for c in chunks[:-1]:
        choice = c["choices"][0]
        delta, finish = choice["delta"], choice["finish_reason"] or finish
        if delta.get("content"):
            text += delta["content"]
            content_chunks += 1
        for tc in delta.get("tool_calls", []):
            slot = calls.setdefault(tc["index"], {"id": tc.get("id"), "name": "", "arguments": "", "parts": 0})
            slot["name"] += tc.get("function", {}).get("name", "")
            slot["arguments"] += tc.get("function", {}).get("arguments", "")
            slot["parts"] += 1
    assert text == "Let me look at that file." and content_chunks > 1 and finish == "tool_calls"
    assert calls[0]["name"] == "read" and json.loads(calls[0]["arguments"]) == ARGS and calls[0]["parts"] > 2
    assert calls[1]["name"] == "bash" and json.loads(calls[1]["arguments"]) == {"cmd": "ls"}
    assert calls[0]["id"] and calls[1]["id"]


def test_openai_streaming_without_usage_option(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="hi"))
    events = sse_events(client, llm_server.url + "/v1/chat/completions", {**OPENAI_BODY, "stream": True})
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert all(c["choices"] for c in chunks) and "usage" not in chunks[0]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_anthropic_non_streaming(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="Reading.", tool_calls=[ToolCall("read", ARGS, id="toolu_x")], usage=(7, 2)),
                      Reply(tool_calls=[ToolCall("edit", '{"path": ')]), Reply(text="Done."))
    data = client.post(llm_server.base_url_anthropic + "/v1/messages", json=ANTHROPIC_BODY).json()
    assert data["type"] == "message" and data["role"] == "assistant" and data["stop_reason"] == "tool_use"
    assert data["content"] == [{"type": "text", "text": "Reading."},
                               {"type": "tool_use", "id": "toolu_x", "name": "read", "input": ARGS}]
    assert data["usage"] == {"input_tokens": 7, "output_tokens": 2}
    malformed = client.post(llm_server.url + "/anthropic/v1/messages", json=ANTHROPIC_BODY).json()
    assert malformed["content"][0]["input"] == '{"path": '  # raw string where the object would go
    done = client.post(llm_server.url + "/v1/messages", json=ANTHROPIC_BODY).json()
    assert done["stop_reason"] == "end_turn" and done["content"] == [{"type": "text", "text": "Done."}]


def test_anthropic_streaming(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="Let me read it.", tool_calls=[ToolCall("read", ARGS), ToolCall("x", '{"a": ')],
                            usage=(30, 8)))
    events = sse_events(client, llm_server.url + "/v1/messages", {**ANTHROPIC_BODY, "stream": True})
    payloads = [json.loads(d) for _, d in events]
    assert all(name == p["type"] for (name, _), p in zip(events, payloads))
    kinds = [p["type"] for p in payloads]
    assert kinds[:2] == ["message_start", "ping"] and kinds[-2:] == ["message_delta", "message_stop"]
    assert payloads[0]["message"]["usage"]["input_tokens"] == 30
    assert payloads[-2]["delta"]["stop_reason"] == "tool_use" and payloads[-2]["usage"]["output_tokens"] == 8
    blocks: dict[int, dict] = {}
    for p in payloads:
        if p["type"] == "content_block_start":
            blocks[p["index"]] = {**p["content_block"], "acc": "", "deltas": 0, "stopped": False}
        elif p["type"] == "content_block_delta":
            delta = p["delta"]
            blocks[p["index"]]["acc"] += delta["text"] if delta["type"] == "text_delta" else delta["partial_json"]
            blocks[p["index"]]["deltas"] += 1
        elif p["type"] == "content_block_stop":
            blocks[p["index"]]["stopped"] = True
    assert blocks[0]["type"] == "text" and blocks[0]["acc"] == "Let me read it." and blocks[0]["deltas"] > 1
    assert blocks[1]["type"] == "tool_use" and blocks[1]["name"] == "read" and blocks[1]["id"]
    assert json.loads(blocks[1]["acc"]) == ARGS and blocks[1]["deltas"] > 2
    assert blocks[2]["acc"] == '{"a": ' and all(b["stopped"] for b in blocks.values())


@pytest.mark.parametrize("path,shape", [("/v1/chat/completions", "openai"), ("/v1/messages", "anthropic")])
def test_http_error_reply(llm_server: LLMServer, client: httpx.Client, path: str, shape: str) -> None:
    llm_server.script(HttpError(429, headers={"Retry-After": "0"}), HttpError(503, body="upstream down"),
                      Reply(text="recovered"))
    r = client.post(llm_server.url + path, json=OPENAI_BODY)
    assert r.status_code == 429 and r.headers["retry-after"] == "0"
    err = r.json()
    if shape == "anthropic":
        assert err["type"] == "error" and err["error"]["type"] == "rate_limit_error"
    else:
        assert err["error"]["type"] == "rate_limit_error" and err["error"]["message"]
    r = client.post(llm_server.url + path, json=OPENAI_BODY)
    assert r.status_code == 503 and r.text == "upstream down"
    assert client.post(llm_server.url + path, json=OPENAI_BODY).status_code == 200


def test_exhausted_script_and_default_reply(llm_server: LLMServer, client: httpx.Client) -> None:
    r = client.post(llm_server.url + "/v1/chat/completions", json=OPENAI_BODY)
    assert r.status_code == 500 and "exhausted" in r.json()["error"]["message"]
    llm_server.default_reply = Reply(text="Done.")
    for _ in range(2):
        data = client.post(llm_server.url + "/v1/messages", json=ANTHROPIC_BODY).json()
        assert data["content"][0]["text"] == "Done."


def test_router_answers_matching_requests_outside_the_script(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.router = lambda body: Reply(text="routed") if "tools" not in body else None
    llm_server.script(Reply(text="scripted"))
    url = llm_server.url + "/v1/chat/completions"
    assert client.post(url, json=OPENAI_BODY).json()["choices"][0]["message"]["content"] == "routed"
    with_tools = {**OPENAI_BODY, "tools": []}
    assert client.post(url, json=with_tools).json()["choices"][0]["message"]["content"] == "scripted"
    assert llm_server.pending == 0


def test_models_and_unknown_route(llm_server: LLMServer, client: httpx.Client) -> None:
    models = client.get(llm_server.base_url_openai + "/models").json()
    assert models["object"] == "list" and models["data"][0]["object"] == "model"
    assert client.post(llm_server.url + "/v1/embeddings", json={}).status_code == 404
    assert llm_server.pending == 0  # neither consumes the script


def test_request_log(llm_server: LLMServer, client: httpx.Client) -> None:
    llm_server.script(Reply(text="a"), Reply(text="b"))
    client.post(llm_server.base_url_openai + "/chat/completions", json=OPENAI_BODY,
                headers={"Authorization": "Bearer sk-test"})
    client.post(llm_server.url + "/v1/messages", json=ANTHROPIC_BODY,
                headers={"X-Api-Key": "ak-test", "anthropic-version": "2023-06-01"})
    first, second = llm_server.wait_for_requests(2, timeout=2)
    assert (first.method, first.path, first.body) == ("POST", "/v1/chat/completions", OPENAI_BODY)
    assert first.headers["authorization"] == "Bearer sk-test" and first.raw_bytes == int(first.headers["content-length"])
    assert second["headers"]["x-api-key"] == "ak-test" and second["headers"]["anthropic-version"] == "2023-06-01"
    assert llm_server.last_request is second and len(llm_server.requests) == 2
    with pytest.raises(TimeoutError):
        llm_server.wait_for_requests(3, timeout=0.1)


def test_stall_then_answer_and_interrupt_on_stop(client: httpx.Client) -> None:
    with LLMServer() as server:
        server.script(Stall(0.2, then=Reply(text="late")), Stall(0.1), Reply(text="next"))
        start = time.monotonic()
        assert client.post(server.url + "/v1/messages", json=ANTHROPIC_BODY).json()["content"][0]["text"] == "late"
        assert time.monotonic() - start >= 0.2
        assert client.post(server.url + "/v1/messages", json=ANTHROPIC_BODY).json()["content"][0]["text"] == "next"
        server.script(Stall(60))
        errors: list[Exception] = []

        def call() -> None:
            try:
                client.post(server.url + "/v1/chat/completions", json=OPENAI_BODY)
            except httpx.HTTPError as e:
                errors.append(e)

        t = threading.Thread(target=call)
        t.start()
        server.wait_for_requests(3)
        start = time.monotonic()
    t.join(5)
    assert time.monotonic() - start < 3 and not t.is_alive() and errors  # dropped, not answered


def test_client_disconnect_mid_stream_is_quiet(llm_server: LLMServer, capfd: pytest.CaptureFixture) -> None:
    llm_server.script(Reply(text="x" * 4_000_000))
    with httpx.Client(timeout=5, trust_env=False) as c, c.stream(
        "POST", llm_server.url + "/v1/chat/completions", json={**OPENAI_BODY, "stream": True}
    ) as r:
        next(r.iter_bytes())
    time.sleep(0.3)  # let the handler hit the broken pipe
    llm_server.script(Reply(text="still alive"))
    with httpx.Client(trust_env=False) as c:
        assert c.post(llm_server.url + "/v1/messages", json=ANTHROPIC_BODY).status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def test_standalone_process(tmp_path: Path, isolated_env: dict[str, str], client: httpx.Client) -> None:
    script = [{"text": "hello", "tool_calls": [{"name": "read", "arguments": {"path": "a.py"}}]},
              {"error": 429, "headers": {"Retry-After": "0"}}, {"stall": 0.05, "then": {"text": "slow"}}]
    (tmp_path / "script.json").write_text(json.dumps(script))
    log = tmp_path / "requests.jsonl"
    server_py = Path(__file__).parent / "harness" / "llm_server.py"
    cmd = [sys.executable, str(server_py), "--port", "0", "--script", str(tmp_path / "script.json"),
           "--log", str(log), "--default-text", "Done."]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=isolated_env) as proc:
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            assert line.startswith("LISTENING http://127.0.0.1:")
            url = line.split()[1]
            msg = client.post(url + "/v1/chat/completions", json=OPENAI_BODY).json()["choices"][0]["message"]
            assert msg["content"] == "hello"
            assert json.loads(msg["tool_calls"][0]["function"]["arguments"]) == {"path": "a.py"}
            r = client.post(url + "/v1/messages", json=ANTHROPIC_BODY)
            assert r.status_code == 429 and r.headers["retry-after"] == "0"
            assert client.post(url + "/v1/messages", json=ANTHROPIC_BODY).json()["content"][0]["text"] == "slow"
            assert client.post(url + "/v1/messages", json=ANTHROPIC_BODY).json()["content"][0]["text"] == "Done."
            records = [json.loads(x) for x in log.read_text().splitlines()]
            assert len(records) == 4 and records[0]["body"] == OPENAI_BODY and records[1]["path"] == "/v1/messages"
        finally:
            proc.terminate()
        assert proc.wait(5) == 0  # SIGTERM is a clean shutdown


def test_isolated_env(isolated_env: dict[str, str], tmp_path: Path) -> None:
    assert isolated_env["HOME"].startswith(str(tmp_path)) and os.environ["HOME"] == isolated_env["HOME"]
    assert Path(isolated_env["CODETETHER_DATA_DIR"]).is_dir()
    assert not any(k.startswith("VAULT_") or k.endswith("_API_KEY") for k in isolated_env)


def test_vault_round_trip(vault_clean: Any, client: httpx.Client) -> None:
    vault_clean.put_provider("openai", api_key="sk-vault", base_url="http://127.0.0.1:1/v1")
    url = f"{vault_clean.addr}/v1/secret/data/codetether/providers/openai"
    r = client.get(url, headers={"X-Vault-Token": vault_clean.env()["VAULT_TOKEN"]})
    assert r.status_code == 200
    assert r.json()["data"]["data"] == {"api_key": "sk-vault", "base_url": "http://127.0.0.1:1/v1"}
    assert client.get(url, headers={"X-Vault-Token": "wrong"}).status_code == 403
    vault_clean.put_provider("anthropic", api_key="ak")
    assert sorted(vault_clean.list_providers()) == ["anthropic", "openai"]
    vault_clean.delete_provider("openai")
    assert vault_clean.read_provider("openai") is None and vault_clean.read_provider("anthropic") == {"api_key": "ak"}
    vault_clean.clear_providers()
    assert vault_clean.list_providers() == []
