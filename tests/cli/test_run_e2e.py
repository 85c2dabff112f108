"""End to end: `codetether run --agent build` reads, edits and runs code through each wire dialect."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall

CODING_TURN = (
    Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]),
    Reply(text="Fixing the typo.", tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"',
                                                                  "new_string": '"hello"'})]),
    Reply(tool_calls=[ToolCall("bash", {"command": "python3 app.py"})]),
    Reply(text="Fixed the greeting; running app.py prints hello."),
)

DIALECTS = {
    # provider id -> (secret fields given the server, header that must carry the key)
    "openai": (lambda s: {"base_url": s.base_url_openai}, ("authorization", f"Bearer {API_KEY}")),
    "anthropic": (lambda s: {"base_url": s.base_url_anthropic}, ("x-api-key", API_KEY)),
    "my-vllm": (lambda s: {"base_url": s.base_url_openai}, ("authorization", f"Bearer {API_KEY}")),
}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("provider", list(DIALECTS))
def test_build_agent_reads_edits_and_runs(cli, vault_clean, llm_server, workspace, provider, stream):
    fields, (header, value) = DIALECTS[provider]
    vault_clean.put_provider(provider, api_key=API_KEY, **fields(llm_server))
    llm_server.script(*CODING_TURN)

    args = ["run", "--agent", "build", "--model", f"{provider}/test-model", "fix the greeting typo"]
    proc = cli(*args, *([] if stream else ["--no-stream"]))

    assert proc.returncode == 0, proc.stderr
    assert "Fixed the greeting; running app.py prints hello." in proc.stdout
    assert '"hello"' in (workspace / "app.py").read_text()
    requests = llm_server.requests
    assert len(requests) == 4
    assert all(r.headers[header] == value for r in requests)
    assert all(bool(r.body.get("stream")) == stream for r in requests)
    assert requests[0].body["model"] == "test-model"
    # The command's real output went back to the model.
    assert "hello" in json.dumps(requests[3].body)
    assert API_KEY not in proc.stdout + proc.stderr


def test_openrouter_model_id_keeps_slashes_and_suffix(cli, vault_clean, llm_server):
    vault_clean.put_provider("openrouter", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="hi"))
    proc = cli("run", "--model", "openrouter/stepfun/step-3.5-flash:free", "hello")
    assert proc.returncode == 0, proc.stderr
    assert llm_server.requests[0].body["model"] == "stepfun/step-3.5-flash:free"
    assert "tools" not in llm_server.requests[0].body  # plain run is chat-only


def test_default_model_from_environment(cli, vault_clean, llm_server):
    vault_clean.put_provider("moonshotai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="hi"))
    proc = cli("run", "hello", env={**cli.env, "CODETETHER_DEFAULT_MODEL": "moonshotai/kimi-k2.5"})
    assert proc.returncode == 0, proc.stderr
    assert llm_server.requests[0].body["model"] == "kimi-k2.5"


def test_jsonl_events(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(tool_calls=[ToolCall("read", {"path": "app.py"})]), Reply(text="done"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "jsonl", "look")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.completed"
    assert {"run.text_chunk", "run.tool_call_started", "run.tool_call_completed"} <= set(types)
    done = next(e for e in events if e["type"] == "run.tool_call_completed")
    assert done["name"] == "read" and done["success"] is True and "helo" in done["output"]
    assert events[-1]["response"] == "done"


def test_json_format_reports_usage(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="answer", usage=(120, 7)))
    proc = cli("run", "--model", "openai/m", "--format", "json", "q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["text"] == "answer" and result["exit_reason"] == "completed"
    assert result["usage"]["prompt_tokens"] == 120 and result["usage"]["completion_tokens"] == 7


def test_max_steps_exit_code(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(*[Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])] * 2)
    proc = cli("run", "--agent", "build", "--model", "openai/m", "--max-steps", "2", "loop")
    assert proc.returncode == 3
    assert "--max-steps" in proc.stderr
