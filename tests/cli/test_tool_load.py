"""Rare tools' schemas on demand: named in tool_load's description, offered once loaded, callable throughout."""

from __future__ import annotations

import json

from tests.cli.test_session_tools_e2e import _offered, _setup, _tool_results
from tests.harness.llm_server import Reply, ToolCall


def _loader_text(request) -> str:
    [loader] = [t["function"]["description"] for t in request.body["tools"] if t["function"]["name"] == "tool_load"]
    return loader


def test_rare_tools_are_listed_then_loaded(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(
        Reply(tool_calls=[ToolCall("tool_load", {"names": ["task", "nope"]})]),
        Reply(tool_calls=[ToolCall("tool_load", {"names": ["task"]})]),
        Reply(tool_calls=[ToolCall("skill", {"action": "list"})]),  # called without loading: still runs
        Reply(text="done"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "go")
    assert proc.returncode == 0, proc.stderr
    first, after_bad, after_load, _ = llm_server.requests
    assert {"read", "edit", "bash", "tool_load"} <= _offered(first)
    assert not _offered(first) & {"task", "swarm", "ralph", "lsp", "a2a"}
    assert "- swarm: " in _loader_text(first) and "- task: " in _loader_text(first)
    bad = _tool_results(after_bad)[-1]
    assert "nope" in bad and "tool_load failed" in bad and "task" not in _offered(after_bad)
    assert "task" in _offered(after_load) and "- task: " not in _loader_text(after_load)
    assert "swarm" not in _offered(after_load)
    assert "skill failed" not in _tool_results(llm_server.requests[3])[-1]
    assert len(json.dumps(first.body["tools"])) < 12_000


def test_on_demand_can_be_turned_off(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(text="ok"))
    cli.env["CODETETHER_TOOLS_ON_DEMAND"] = "false"
    proc = cli("run", "--agent", "build", "--model", "openai/m", "go")
    assert proc.returncode == 0, proc.stderr
    offered = _offered(llm_server.requests[0])
    assert {"task", "swarm", "lsp", "a2a"} <= offered and "tool_load" not in offered


def test_loaded_schemas_survive_a_resume(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("tool_load", {"names": ["task", "lsp"]})]), Reply(text="loaded"),
                      Reply(text="resumed"))
    assert cli("run", "--agent", "build", "--model", "openai/m", "load them").returncode == 0
    proc = cli("run", "-c", "go on")
    assert proc.returncode == 0, proc.stderr
    resumed = llm_server.requests[-1]
    assert {"task", "lsp"} <= _offered(resumed) and "swarm" not in _offered(resumed)


def test_loaded_schemas_stay_loaded_in_plan_mode(cli, vault_clean, llm_server):
    _setup(cli, vault_clean, llm_server)
    llm_server.script(Reply(tool_calls=[ToolCall("tool_load", {"names": ["lsp", "plan_enter"]})]),
                      Reply(tool_calls=[ToolCall("plan_enter", {"goal": "g", "steps": ["s"]})]), Reply(text="planning"))
    proc = cli("run", "--agent", "build", "--model", "openai/m", "plan it")
    assert proc.returncode == 0, proc.stderr
    in_plan = llm_server.requests[-1]
    assert {"lsp", "plan_exit"} <= _offered(in_plan) and "write" not in _offered(in_plan)
    assert "question" not in _offered(in_plan)  # never loaded: still behind tool_load
