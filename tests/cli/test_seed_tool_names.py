"""The seed's tool names (read_file, write_file, list_dir, the spec's compatibility aliases) work wherever a tool
name is: model calls (repairs on or off), batch, permission rules, skills, MCP and `tools list`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from codetether.config.permission import parse_permission
from codetether.tool.base import ToolContext
from codetether.tool.registry import CORE_TOOLS, ToolSet, load_tool
from codetether.tool.support.names import SEED_ALIASES, canonical
from codetether.tool.support.permission import PermissionPolicy
from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall

SEED = {"read": "read_file", "write": "write_file", "list": "list_dir"}


def _script(names: dict[str, str]) -> list[Reply]:
    return [Reply(tool_calls=[ToolCall(names["read"], {"path": "app.py"}, "c1")]),
            Reply(tool_calls=[ToolCall(names["write"], {"path": "notes/new.txt", "content": "hello\n"}, "c2")]),
            Reply(tool_calls=[ToolCall(names["list"], {"path": "."}, "c3")]),
            Reply(text="done")]


def _tool_results(stdout: str) -> list[tuple[str, str]]:
    events = [json.loads(line) for line in stdout.splitlines()]
    return [(e["name"], e["output"]) for e in events if e["type"] == "run.tool_call_completed"]


@pytest.mark.parametrize("repair", ["true", "false"], ids=["repairs-on", "repairs-off"])
def test_seed_names_give_the_same_results_as_ours(cli, vault_clean, llm_server, workspace, tmp_path, repair):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**cli.env, "CODETETHER_REPAIR_TOOL_CALLS": repair}
    results = {}
    for label, names in (("ours", {k: k for k in SEED}), ("seed", SEED)):
        if (workspace / "notes").exists():
            (workspace / "notes" / "new.txt").unlink()
            (workspace / "notes").rmdir()
        llm_server.script(*_script(names))
        proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "jsonl", "use the tools", env=env)
        assert proc.returncode == 0, proc.stderr
        results[label] = _tool_results(proc.stdout)
        assert (workspace / "notes" / "new.txt").read_text() == "hello\n"
    assert [name for name, _ in results["seed"]] == ["read", "write", "list"]  # recorded under our names
    assert results["seed"] == results["ours"]
    assert "greet" in results["seed"][0][1] and "notes/" in results["seed"][2][1]
    # The model's next request carries the call under our name, the one it was offered.
    sent = llm_server.requests[-1].body["messages"]
    assert [c["function"]["name"] for m in sent for c in m.get("tool_calls") or []] == ["read", "write", "list"]


def test_tools_list_shows_the_aliases(cli):
    proc = cli("tools", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    by_name = {t["name"]: t for t in json.loads(proc.stdout)}
    assert by_name["read"]["aliases"] == ["read_file"] and by_name["write"]["aliases"] == ["write_file"]
    assert set(by_name["list"]["aliases"]) == {"list_dir", "list_directory"}
    assert by_name["apply_patch"]["aliases"] == ["patch"] and by_name["todo_read"]["aliases"] == ["todoread"]
    text = cli("tools", "list").stdout
    assert "read  (read-only; agents: build, plan, explore; aliases: read_file)" in text


def test_every_alias_names_a_registered_tool():
    assert all(target in CORE_TOOLS for target in SEED_ALIASES.values())
    assert canonical("write_file") == "write" and canonical("write") == "write" and canonical("nope") == "nope"


def test_permission_rules_take_seed_names(tmp_path: Path):
    rules = parse_permission({"tools": {"write_file": "deny", "run_command": "ask"}}, "/cfg.toml")
    assert dict(rules.tools) == {"write": "deny", "bash": "ask"}
    policy = PermissionPolicy(rules)
    denied = policy.decide("write", False, {"path": "x"})
    assert denied.action == "deny" and "permission.tools.write" in denied.rule
    assert policy.decide("bash", False, {"command": "ls"}).action == "ask"
    assert policy.decide("read", True, {"path": "x"}).action == "allow"
    # A per-tool "allow" never loosens a stricter rule for the kind of call.
    strict = PermissionPolicy(parse_permission({"edit": "deny", "tools": {"write": "allow"}}, "/cfg.toml"))
    assert strict.decide("write", False, {}).action == "deny"
    ctx = ToolContext(root=tmp_path, policy=policy)
    result = asyncio.run(load_tool("write").execute({"path": "a.txt", "content": "x"}, ctx))
    assert not result.success and "denied by permission.tools.write" in result.output
    assert not (tmp_path / "a.txt").exists()


def test_batch_takes_seed_names(tmp_path: Path):
    (tmp_path / "a.txt").write_text("alpha\n")
    tools = ToolSet.named(["read", "list", "batch"], on_demand=False)
    ctx = ToolContext(root=tmp_path, tools=tools)
    result = asyncio.run(tools.get("batch").execute(
        {"calls": [{"tool": "read_file", "args": {"path": "a.txt"}}, {"tool": "list_dir", "args": {"path": "."}}]},
        ctx))
    assert result.success, result.output
    assert "alpha" in result.output and "a.txt" in result.output


def test_skill_tools_are_read_under_every_name(tmp_path: Path):
    folder = tmp_path / ".codetether" / "skills" / "review"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text("---\nname: review\ndescription: Review a change\n"
                                     "allowed-tools: Read, read_file, list_dir, Bash(git:*), fly\n---\nLook closely.\n")
    ctx = ToolContext(root=tmp_path, tools=ToolSet.named(["read", "list", "bash", "skill"], on_demand=False))
    out = asyncio.run(load_tool("skill").execute({"action": "load", "name": "review"}, ctx)).output
    assert "Tools this skill uses: read (Read, read_file), list (list_dir), bash (Bash(git:*))" in out
    assert "Not available to you here: fly" in out
