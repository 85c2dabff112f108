"""`codetether tools list`: every registered tool, its description and schema; and the size of them all."""

from __future__ import annotations

import json

from codetether.agent.agents import AGENTS
from codetether.tool.registry import CORE_TOOLS, load_tool

REQUEST_BUDGET = 20_000  # bytes of tool definitions in the first request of an agent with every tool


def test_tools_list_json_includes_every_registered_tool(cli):
    proc = cli("tools", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    catalog = json.loads(proc.stdout)
    assert [t["name"] for t in catalog] == list(CORE_TOOLS)
    for entry in catalog:
        assert entry["description"] and entry["parameters"]["type"] == "object", entry["name"]
        assert all(name in AGENTS for name in entry["agents"])
    by_name = {t["name"]: t for t in catalog}
    assert by_name["webfetch"]["read_only"] and by_name["webfetch"]["parameters"]["required"] == ["url"]
    assert by_name["plan_exit"]["agents"] == ["plan"] and "build" in by_name["plan_enter"]["agents"]


def test_tools_list_text(cli):
    proc = cli("tools", "list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("read  (read-only; agents: build, plan, explore; aliases: read_file)")
    assert '"required": ["query"]' in proc.stdout and f"{len(CORE_TOOLS)} tools" in proc.stdout


def test_tools_needs_an_action(cli):
    proc = cli("tools")
    assert proc.returncode == 2 and "tools" in proc.stderr and "Traceback" not in proc.stderr


def test_all_tool_definitions_fit_the_request_budget():
    definitions = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                     "parameters": t.parameters}}
                   for t in map(load_tool, CORE_TOOLS)]
    size = len(json.dumps(definitions).encode())
    assert size <= REQUEST_BUDGET, f"tool definitions take {size} bytes"
