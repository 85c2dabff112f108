"""Swarm sub-agents are assembled like `run`'s agent: configured MCP tools, the RLM hook for oversized outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.cli.conftest import allow_local_network
from tests.harness.llm_server import Reply, ScriptItem, ToolCall
from tests.harness.offers import available_tools
from tests.mcp_bridge.test_mcp import FASTMCP_SERVER
from tests.rlm.test_agent_rlm import WINDOW, page_server  # noqa: F401 - the fixture, used by name
from tests.swarm.conftest import is_orchestrator, plan_json, text_of, tool_results

ONE = plan_json({"id": "one", "name": "One", "instruction": "MARK-ONE: add 2 and 40, read the guide",
                 "specialty": "Coder", "dependencies": [], "priority": 1})


def test_sub_agent_has_mcp_tools_and_the_rlm_hook(swarm_cli, llm_server, repo: Path, tmp_path: Path,
                                                  page_server):  # noqa: F811 - the imported fixture
    script = tmp_path / "demo_server.py"
    script.write_text(FASTMCP_SERVER)
    config = Path(swarm_cli.env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.write_text(config.read_text()
                      + f"\n[mcp.servers.demo]\ncommand = [{json.dumps(sys.executable)}, {json.dumps(str(script))}]\n")
    allow_local_network(swarm_cli.env)  # the page server is on 127.0.0.1
    sub_agent_steps: list[dict[str, Any]] = []
    rlm_requests: list[dict[str, Any]] = []

    def route(body: dict[str, Any]) -> ScriptItem:
        if is_orchestrator(body):
            return Reply(ONE)
        if "tools" not in body:  # the RLM analysing the oversized page
            rlm_requests.append(body)
            return Reply('FINAL("The guide says the API key must be rotated every 30 days.")')
        assert "MARK-ONE" in text_of(body, "user")
        sub_agent_steps.append(body)
        if tool_results(body) == 0:
            return Reply(tool_calls=[ToolCall("mcp__demo__add", {"a": 2, "b": 40}),
                                     ToolCall("webfetch", {"url": page_server, "format": "text",
                                                           "max_chars": 500_000})])
        return Reply("ONE-RESULT: 42, rotate the key every 30 days")

    llm_server.router = route
    proc = swarm_cli("swarm", "--model", "openai/scripted", "--json", "add and read",
                     env={**swarm_cli.env, "CODETETHER_CONTEXT_WINDOW": str(WINDOW * 4)})

    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert json.loads(proc.stdout)["success"] is True
    first, second = sub_agent_steps
    assert {"mcp__demo__add", "rlm", "webfetch"} <= set(available_tools(first))
    results = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    added, fetched = results
    assert added.strip() == "42"
    assert fetched.startswith("[RLM summary of webfetch output") and "rotated every 30 days" in fetched
    assert rlm_requests and "Section 2999" not in json.dumps(rlm_requests[0])
