"""batch: concurrent read-only calls, ordered results, failures contained, no nesting."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult
from codetether.tool.registry import ToolSet, load_tool
from tests.tools.conftest import call

SLEEP = 0.3


def _timed_tool(name: str, read_only: bool, log: list[tuple[str, str, float, float]]) -> Tool:
    """A test-only tool that sleeps and records when each call started and ended."""

    async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if args.get("fail"):
            raise ToolError(f"{args['label']} failed on purpose")
        start = time.monotonic()
        await asyncio.sleep(SLEEP)
        log.append((name, args["label"], start, time.monotonic()))
        return ToolResult(f"{name} done {args['label']}")

    params = {"type": "object", "properties": {"label": {"type": "string"}, "fail": {"type": "boolean"}},
              "required": ["label"]}
    return Tool(name, f"{name} test tool", params, run, read_only=read_only)


def _ctx(tmp_path: Path, log: list) -> ToolContext:
    ctx = ToolContext(root=tmp_path)
    ctx.tools = ToolSet([_timed_tool("slow_read", True, log), _timed_tool("slow_write", False, log),
                         load_tool("read"), load_tool("batch")])
    return ctx


def test_read_only_calls_run_concurrently(tmp_path):
    log: list = []
    calls = [{"tool": "slow_read", "args": {"label": s}} for s in "abc"]
    result = call("batch", {"calls": calls}, _ctx(tmp_path, log))
    assert result.success, result.output
    starts, ends = [s for *_, s, _ in log], [e for *_, e in log]
    assert len(log) == 3 and max(starts) < min(ends)  # all three were running at the same moment
    blocks = result.output.split("## ")[1:]
    assert [b.splitlines()[0] for b in blocks] == ["[1] slow_read (ok)", "[2] slow_read (ok)", "[3] slow_read (ok)"]
    assert [b.splitlines()[1] for b in blocks] == ["slow_read done a", "slow_read done b", "slow_read done c"]


def test_a_changing_call_runs_alone_in_order(tmp_path):
    log: list = []
    calls = [{"tool": "slow_read", "args": {"label": "r1"}}, {"tool": "slow_read", "args": {"label": "r2"}},
             {"tool": "slow_write", "args": {"label": "w"}}, {"tool": "slow_read", "args": {"label": "r3"}}]
    result = call("batch", {"calls": calls}, _ctx(tmp_path, log))
    assert result.success
    times = {label: (start, end) for _, label, start, end in log}
    assert max(times["r1"][0], times["r2"][0]) < min(times["r1"][1], times["r2"][1])
    assert times["w"][0] >= max(times["r1"][1], times["r2"][1])  # after everything before it
    assert times["r3"][0] >= times["w"][1]


def test_a_failing_call_does_not_stop_the_others(tmp_path):
    (tmp_path / "a.txt").write_text("alpha\n")
    calls = [{"tool": "read", "args": {"path": "a.txt"}}, {"tool": "slow_read", "args": {"label": "x", "fail": True}},
             {"tool": "read", "args": {"path": "missing.txt"}}, {"tool": "read", "args": {"pathh": "a.txt"}},
             {"tool": "slow_read", "args": {"label": "y"}}]
    result = call("batch", {"calls": calls}, _ctx(tmp_path, []))
    out = result.output
    assert "## [1] read (ok)\n" in out and "alpha" in out
    assert "## [2] slow_read (error)\nslow_read failed: x failed on purpose" in out
    assert "## [3] read (error)" in out
    assert "## [4] read (error)" in out and "'path'" in out
    assert "## [5] slow_read (ok)\nslow_read done y" in out
    assert "[2 of 5 calls succeeded]" in out
    assert [c["status"] for c in result.metadata["calls"]] == ["ok", "error", "error", "error", "ok"]


def test_refusals_inside_a_batch_are_labelled(tmp_path):
    from codetether.config.permission import PermissionRules
    from codetether.tool.support.permission import PermissionPolicy

    ctx = ToolContext(root=tmp_path, policy=PermissionPolicy(PermissionRules(edit="deny")))
    ctx.tools = ToolSet.named(["read", "write", "batch"])
    result = call("batch", {"calls": [{"tool": "write", "args": {"path": "x", "content": "y"}}]}, ctx)
    assert "## [1] write (refused)" in result.output and not (tmp_path / "x").exists()


def test_batch_cannot_call_batch_nor_unknown_tools(tmp_path):
    ctx = _ctx(tmp_path, [])
    nested = call("batch", {"calls": [{"tool": "batch", "args": {"calls": []}}]}, ctx)
    assert not nested.success and "'calls[0].tool'" in nested.output and "batch cannot call batch" in nested.output
    unknown = call("batch", {"calls": [{"tool": "read", "args": {"path": "x"}}, {"tool": "nope"}]}, ctx)
    assert not unknown.success and "'calls[1].tool'" in unknown.output and "slow_read" in unknown.output


def test_bad_arguments_name_the_field(tmp_path):
    ctx = _ctx(tmp_path, [])
    for args, needle in [({}, "'calls'"), ({"calls": []}, "'calls'"), ({"calls": "read"}, "'calls'"),
                         ({"calls": [{"args": {}}]}, "'calls[0].tool'"),
                         ({"calls": [{"tool": "read", "args": "x"}]}, "'calls[0].args'"),
                         ({"calls": [{"tool": "read", "args": {"path": "a"}}] * 11}, "at most 10")]:
        result = call("batch", args, ctx)
        assert not result.success and needle in result.output, (args, result.output)


def test_the_agent_gives_batch_its_tool_set(tmp_path):
    from codetether.agent.loop import Agent, AgentSettings

    tools = ToolSet.named(["read", "batch"])
    ctx = ToolContext(root=tmp_path)
    Agent(model=None, tools=tools, ctx=ctx, settings=AgentSettings(model="m"))  # type: ignore[arg-type]
    assert ctx.tools is tools


def test_inner_calls_get_the_certain_repairs(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\nthree\n")
    calls = [{"tool": "Read", "args": {"file_path": "a.txt", "offset": "2", "limit": "1"}},
             {"tool": "read", "args": {"path": "a.txt", "file_path": "b.txt"}}]
    result = call("batch", {"calls": calls}, _ctx(tmp_path, []))
    assert "two" in result.output and "three" not in result.output.split("## [2]")[0]
    assert "(call repaired: parameter 'file_path' read as 'path'" in result.output
    assert "read was not run: both 'path' and 'file_path' are given" in result.output
