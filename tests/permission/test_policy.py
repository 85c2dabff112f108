"""The permission policy: rule parsing, bash pattern precedence, ask settlement and the outside-path flow."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codetether.config.permission import parse_permission
from codetether.errors import ConfigError
from codetether.tool.base import ToolContext
from codetether.tool.registry import load_tool
from codetether.tool.support.permission import ApprovalRequest, PermissionPolicy
from codetether.tool.support.shell.readonly import read_only_problem

BASH_RULES = {"bash": {"git push*": "ask", "rm -rf*": "deny", "rm -rf build*": "allow", "*": "allow"}}


def _policy(table=None, **kw) -> PermissionPolicy:
    return PermissionPolicy(parse_permission(table, "/cfg.toml"), **kw)


def _run(name, args, ctx):
    return asyncio.run(load_tool(name).execute(args, ctx))


def test_defaults_allow_edits_and_bash_and_deny_outside():
    rules = parse_permission(None, "x")
    assert (rules.edit, rules.bash, rules.webfetch, rules.external_directory) == ("allow", "allow", "allow", "deny")


@pytest.mark.parametrize(("table", "needle"), [
    ({"edits": "allow"}, "permission.edits"),
    ({"edit": "maybe"}, "permission.edit"),
    ({"bash": {"rm*": "nope"}}, 'permission.bash."rm*"'),
    ({"bash": 3}, "permission.bash"),
    ("deny", "[permission]"),
])
def test_bad_rules_name_file_and_key(table, needle):
    with pytest.raises(ConfigError) as exc:
        parse_permission(table, "/home/u/config.toml")
    assert "/home/u/config.toml" in exc.value.message and needle in exc.value.message


@pytest.mark.parametrize(("command", "action"), [
    ("git push origin main", "ask"),
    ("rm -rf x", "deny"),
    ("rm -rf build/out", "allow"),  # the longer, more specific pattern wins
    ("ls -la", "allow"),
    ("echo ok && rm -rf x", "deny"),  # every simple command is checked
    ("echo ok; git push", "ask"),
    ("FOO=1 rm -rf x", "deny"),
    ("echo $(rm -rf x)", "deny"),
])
def test_bash_patterns(command, action):
    decision = _policy(BASH_RULES).decide("bash", False, {"command": command})
    assert decision.action == action, decision


def test_deny_names_the_rule():
    result = asyncio.run(_check(_policy(BASH_RULES), "bash", {"command": "rm -rf x"}))
    assert '"rm -rf*" = "deny"' in result and "/cfg.toml" in result


def test_edit_tools_share_one_rule():
    policy = _policy({"edit": "deny"})
    for name in ("write", "edit", "multiedit", "apply_patch"):
        assert policy.decide(name, False, {}).action == "deny"
    assert policy.decide("read", True, {}).action == "allow"


def test_ask_without_approver_refuses_and_says_how_to_allow():
    result = asyncio.run(_check(_policy({"edit": "ask"}), "write", {}))
    assert "--yes" in result and "/cfg.toml" in result


def test_ask_with_yes_or_approver():
    assert asyncio.run(_check(_policy({"edit": "ask"}, assume_yes=True), "write", {})) == ""
    asked: list[ApprovalRequest] = []

    async def approver(request: ApprovalRequest) -> bool:
        asked.append(request)
        return request.tool == "write"

    policy = _policy({"edit": "ask"}, approver=approver)
    assert asyncio.run(_check(policy, "write", {})) == ""
    assert "declined" in asyncio.run(_check(policy, "edit", {}))
    assert [r.tool for r in asked] == ["write", "edit"]


def test_read_only_agents_deny_writing_tools_even_if_offered():
    for agent in ("plan", "explore"):
        policy = _policy({"edit": "allow"}, agent=agent)
        assert policy.decide("write", False, {}).action == "deny"
        assert policy.decide("bash", False, {"command": "rm app.py"}).action == "deny"
        assert policy.decide("bash", False, {"command": "git log -3 | head"}).action == "allow"
        assert policy.decide("grep", True, {}).action == "allow"


def test_read_only_agent_bash_still_obeys_bash_rules():
    policy = _policy({"bash": {"git*": "deny"}}, agent="plan")
    assert policy.decide("bash", False, {"command": "git status"}).action == "deny"


@pytest.mark.parametrize("command", [
    "ls", "cat a.py | grep x", "git status", "git log --oneline -5", "git diff HEAD~1", "rg -n foo src",
    "find . -name '*.py'", "ls && git status",
])
def test_read_only_commands(command):
    assert read_only_problem(command) is None


@pytest.mark.parametrize("command", [
    "rm x", "ls > out", "cat a >> b", "ls; rm x", "ls || rm x", "ls | sh", "echo $(rm x)", "echo `rm x`",
    "find . -delete", "find . -exec rm {} ;", "git push", "git -c core.pager=sh log", "git diff --output=x",
    "rg --pre sh foo", "sleep 1 &", "git grep -Ovim x", "cat <(rm x)", "", "ls\nrm x",
])
def test_not_read_only_commands(command):
    assert read_only_problem(command) is not None


def test_outside_path_deny_ask_allow(tmp_path: Path, outside: Path):
    target = str(outside / "secret.txt")
    denied = _run("read", {"path": target}, ToolContext(root=tmp_path, policy=_policy()))
    assert not denied.success and denied.metadata["refused"] and "outside the workspace" in denied.output
    asked = _run("read", {"path": target}, ToolContext(root=tmp_path, policy=_policy({"external_directory": "ask"})))
    assert asked.metadata["refused"] and "--yes" in asked.output
    ok = _run("read", {"path": target},
              ToolContext(root=tmp_path, policy=_policy({"external_directory": "ask"}, assume_yes=True)))
    assert ok.success and "top secret" in ok.output
    ok = _run("read", {"path": target}, ToolContext(root=tmp_path, policy=_policy({"external_directory": "allow"})))
    assert ok.success


def test_outside_path_approved_once_is_remembered(tmp_path: Path, outside: Path):
    asked: list[str] = []

    async def approver(request: ApprovalRequest) -> bool:
        asked.append(request.subject)
        return True

    ctx = ToolContext(root=tmp_path, policy=_policy({"external_directory": "ask"}, approver=approver))
    edit = {"edits": [{"path": str(outside / "secret.txt"), "old_string": "top", "new_string": "no"}]}
    assert _run("multiedit", edit, ctx).success
    assert _run("read", {"path": str(outside / "secret.txt")}, ctx).success
    assert len(asked) == 1 and (outside / "secret.txt").read_text() == "no secret\n"


def test_declined_outside_path_changes_nothing(tmp_path: Path, outside: Path):
    async def approver(request: ApprovalRequest) -> bool:
        return False

    ctx = ToolContext(root=tmp_path, policy=_policy({"external_directory": "ask"}, approver=approver))
    result = _run("write", {"path": str(outside / "secret.txt"), "content": "x"}, ctx)
    assert result.metadata["refused"] and "declined" in result.output
    assert (outside / "secret.txt").read_text() == "top secret\n"


async def _check(policy: PermissionPolicy, tool: str, args: dict) -> str:
    """'' when allowed, else the refusal text."""
    from codetether.tool.base import PermissionDenied

    try:
        await policy.check(tool, load_tool(tool).read_only if tool != "webfetch" else True, args)
    except PermissionDenied as exc:
        return str(exc)
    return ""
