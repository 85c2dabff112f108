"""Bad input of every kind gets one clear message, the right exit code, no traceback, and loses nothing."""

from __future__ import annotations

import socket

from tests.cli.conftest import API_KEY, assert_clean_failure
from tests.harness.llm_server import HttpError, Reply, ToolCall


def _openai(vault, server):
    vault.put_provider("openai", api_key=API_KEY, base_url=server.base_url_openai)


def _tool_results(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "tool"]


def test_malformed_tool_arguments_become_an_error_the_model_sees(cli, vault_clean, llm_server, workspace):
    _openai(vault_clean, llm_server)
    before = (workspace / "app.py").read_text()
    llm_server.script(Reply(tool_calls=[ToolCall("edit", '{"path": "app.py", "old_string": ')]),
                      Reply(text="Sorry, retrying is not needed."))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "edit it")
    assert proc.returncode == 0, proc.stderr
    [result] = _tool_results(llm_server.requests[1])
    assert "edit was not run: the call was cut off" in result and "edit takes: path (string, required)" in result
    assert (workspace / "app.py").read_text() == before


def test_unknown_tool_and_bad_field_are_reported_to_the_model(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("frobnicate", {}), ToolCall("read", {"path": ["a.py"]})]),
                      Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "go")
    assert proc.returncode == 0, proc.stderr
    unknown, bad_field = _tool_results(llm_server.requests[1])
    assert "unknown tool 'frobnicate'" in unknown and "read" in unknown
    assert "'path' must be string, got array" in bad_field and "read takes: path (string, required)" in bad_field


def test_plan_agent_cannot_write(cli, vault_clean, llm_server, workspace):
    _openai(vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("write", {"path": "new.txt", "content": "x"}),
                                        ToolCall("bash", {"command": "rm app.py"})]), Reply(text="ok"))
    proc = cli("run", "--agent", "plan", "--model", "openai/m", "plan it")
    assert proc.returncode == 0, proc.stderr
    offered = {t["function"]["name"] for t in llm_server.requests[0].body["tools"]}
    from codetether.agent.agents import AGENTS
    from codetether.tool.registry import ON_DEMAND

    # bash is limited to read-only commands; rare tools' schemas wait for tool_load
    assert offered == set(AGENTS["plan"].tools) - ON_DEMAND | {"tool_load"} and "bash" in offered
    assert not offered & {"write", "edit", "multiedit", "apply_patch", "task", "batch", "todo_write"}
    write, bash = _tool_results(llm_server.requests[1])
    assert "not available to the plan agent" in write
    assert "refused" in bash and "read-only" in bash
    assert not (workspace / "new.txt").exists() and (workspace / "app.py").exists()


def test_unknown_provider(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    proc = cli("run", "--model", "nosuchprovider/some-model", "hi")
    assert_clean_failure(proc, "nosuchprovider", "Known providers")
    assert llm_server.requests == []


def test_no_providers_prints_checklist(cli, vault_clean):
    proc = cli("run", "hi")
    assert_clean_failure(proc, "No providers available", "vault kv put secret/codetether/providers/")


def test_vault_unreachable(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = cli("run", "--model", "openai/m", "hi", env={**cli.env, "VAULT_ADDR": f"http://127.0.0.1:{port}"})
    assert_clean_failure(proc, "unreachable", f"127.0.0.1:{port}")
    assert proc.returncode == 1


def test_vault_rejects_token(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    proc = cli("run", "--model", "openai/m", "hi", env={**cli.env, "VAULT_TOKEN": "not-the-token"})
    assert_clean_failure(proc, "rejected the token")
    assert proc.returncode == 1 and "not-the-token" not in proc.stderr


def test_provider_rejects_key_without_retrying(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(HttpError(401, {"error": {"message": "invalid api key"}}))
    proc = cli("run", "--model", "openai/m", "hi")
    assert_clean_failure(proc, "provider 'openai' rejected the API key", "HTTP 401")
    assert len(llm_server.requests) == 1
    assert API_KEY not in proc.stderr


def test_rate_limit_is_retried_with_retry_after(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(HttpError(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
                      HttpError(503, {"error": {"message": "busy"}}, headers={"Retry-After": "0"}),
                      Reply(text="finally"))
    proc = cli("run", "--model", "openai/m", "hi")
    assert proc.returncode == 0, proc.stderr
    assert "finally" in proc.stdout and len(llm_server.requests) == 3


def test_secrets_never_reach_tool_output(cli, vault_clean, llm_server):
    _openai(vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": f"echo {API_KEY}"})]), Reply(text="ok"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "print it", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    [result] = _tool_results(llm_server.requests[1])
    assert "[REDACTED]" in result and API_KEY not in result
    assert API_KEY not in proc.stdout + proc.stderr


def test_broken_toml_names_file_and_line(cli, isolated_env):
    config = cli.env["XDG_CONFIG_HOME"] + "/codetether-agent/config.toml"
    import os

    os.makedirs(os.path.dirname(config))
    broken = '[default]\nmodel = "openai/gpt-4o"\n[ui\ntheme = "dark"\n'
    with open(config, "w") as fh:
        fh.write(broken)
    proc = cli("run", "hi")
    assert_clean_failure(proc, config, "line 3")
    proc = cli("config", "--set", "ui.theme=light")
    assert_clean_failure(proc, config)
    with open(config) as fh:
        assert fh.read() == broken


def test_usage_errors_exit_2(cli):
    assert cli("bogus").returncode == 2
    assert cli("run", "--bogus-flag", "x").returncode == 2
    assert cli("run", "--agent", "nope", "x").returncode == 2
