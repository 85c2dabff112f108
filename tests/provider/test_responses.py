"""OpenAI Responses API: body shape, JSON and SSE answers, wire_api switch, and a build-agent round trip."""

from __future__ import annotations

import json

import pytest

from codetether.provider.model import Message, ToolCallPart, ToolResultPart
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall
from tests.provider.helpers import complete


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_responses_wire_format(llm_server, stream):
    llm_server.script(Reply(text="Let me look.", tool_calls=[ToolCall("read", {"path": "a.py"}, id="call_9")]))
    (resp,) = complete("openai-codex", {"api_key": API_KEY, "base_url": llm_server.base_url_openai}, "gpt-5.5",
                       stream=stream)
    # Streaming tries the WebSocket first (spec 3.3); this server refuses the upgrade, so SSE follows.
    req = next(r for r in llm_server.requests if r.method == "POST")
    assert req.path == "/v1/responses"
    assert req.headers["authorization"] == f"Bearer {API_KEY}"
    body = req.body
    assert body["model"] == "gpt-5.5" and body["instructions"] == "be brief" and body["store"] is False
    assert body["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "read a.py"}]}]
    assert body["tools"][0] == {"type": "function", "name": "read", "description": "Read a file",
                                "parameters": body["tools"][0]["parameters"]}
    assert body["max_output_tokens"] == 256 and bool(body.get("stream")) == stream
    assert resp.message.text_content == "Let me look."
    (call,) = resp.message.tool_calls
    assert (call.id, call.name, json.loads(call.arguments)) == ("call_9", "read", {"path": "a.py"})
    assert resp.finish_reason == "tool_calls" and resp.usage.prompt_tokens > 0


def test_tool_results_are_function_call_outputs(llm_server):
    llm_server.script(Reply(text="done"))
    history = [Message.text("user", "go"), Message("assistant", [ToolCallPart("c1", "read", '{"path":"x"}')]),
               Message("tool", [ToolResultPart("c1", "file body")])]
    complete("openai", {"api_key": API_KEY, "base_url": llm_server.base_url_openai, "wire_api": "responses"},
             "gpt-5", messages=history)
    req = llm_server.requests[0]
    assert req.path == "/v1/responses"  # wire_api moved plain openai to the Responses API
    assert req.body["input"][1:] == [
        {"type": "function_call", "call_id": "c1", "name": "read", "arguments": '{"path":"x"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "file body"}]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_run_build_agent_through_responses(cli, vault_clean, llm_server, workspace, stream):
    vault_clean.put_provider("openai-codex", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="It prints helo."))
    proc = cli("run", "--agent", "build", "--model", "openai-codex/gpt-5.5", "what does app.py print?",
               *([] if stream else ["--no-stream"]))
    assert proc.returncode == 0, proc.stderr
    assert "It prints helo." in proc.stdout
    upgrades = [r for r in llm_server.requests if r.method == "GET"]  # the refused WebSocket, once per session
    assert len(upgrades) == (1 if stream else 0)
    first, second = [r for r in llm_server.requests if r.method == "POST"]
    assert first.path == second.path == "/v1/responses"
    outputs = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert "helo" in outputs[0]["output"]
    assert API_KEY not in proc.stdout + proc.stderr
