"""The batch tool: several tool calls in one; neighbouring read-only calls run concurrently, results in order."""

from __future__ import annotations

import asyncio
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.fit import ArgumentConflict, fit_arguments
from codetether.tool.support.names import resolve_name

MAX_CALLS = 10
OUTPUT_BUDGET = 12_000  # shared by the calls' outputs, so the last results are not cut away by the first

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "calls": {
            "type": "array",
            "description": f"Up to {MAX_CALLS} calls",
            "items": {
                "type": "object",
                "properties": {"tool": {"type": "string"}, "args": {"type": "object"}},
                "required": ["tool"],
            },
        },
    },
    "required": ["calls"],
}


def _plan(calls: list[dict[str, Any]], ctx: ToolContext) -> list[Tool]:
    """The tool for each call, refusing the whole batch up front if any call could not even start."""
    if ctx.tools is None:
        raise ToolError("batch is not available here (no tool set)")
    if not calls:
        raise ToolError("'calls' is empty; give at least one {tool, args}")
    if len(calls) > MAX_CALLS:
        raise ToolError(f"'calls' has {len(calls)} calls; at most {MAX_CALLS} per batch")
    tools = []
    for i, call in enumerate(calls):
        name = resolve_name(call["tool"], ctx.tools.names)[0] or call["tool"]  # Read, functions.read -> read
        if name == "batch":
            raise ToolError(f"'calls[{i}].tool': batch cannot call batch; list the calls directly")
        tool = ctx.tools.get(name)
        if tool is None:
            raise ToolError(f"'calls[{i}].tool': '{name}' is not available; use one of: "
                            + ", ".join(n for n in ctx.tools.names if n != "batch"))
        tools.append(tool)
    return tools


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    calls: list[dict[str, Any]] = args["calls"]
    tools = _plan(calls, ctx)
    results: list[ToolResult | None] = [None] * len(calls)

    async def one(i: int) -> None:
        try:  # the certain repairs a top-level call gets: file_path for path, "5" for 5, ...
            args, repairs = fit_arguments(tools[i].name, tools[i].parameters, calls[i].get("args") or {})
        except ArgumentConflict as conflict:
            results[i] = ToolResult(f"{tools[i].name} was not run: {conflict}", success=False)
            return
        result = await tools[i].execute(args, ctx)
        if repairs:
            result.output = f"(call repaired: {'; '.join(repairs)})\n{result.output}"
        results[i] = result

    group: list[int] = []
    for i, tool in enumerate(tools):
        if tool.read_only:
            group.append(i)
            continue
        await asyncio.gather(*(one(j) for j in group))
        group = []
        await one(i)  # a call that may change things runs alone, after everything listed before it
    await asyncio.gather(*(one(j) for j in group))
    return _report(calls, [r for r in results if r is not None])


def _report(calls: list[dict[str, Any]], results: list[ToolResult]) -> ToolResult:
    budget = max(500, OUTPUT_BUDGET // len(results))
    blocks, summary = [], []
    for i, (call, result) in enumerate(zip(calls, results), 1):
        status = "ok" if result.success else ("refused" if result.metadata.get("refused") else "error")
        output = result.output
        if len(output) > budget:
            output = output[:budget] + f"\n[… {len(output) - budget} more chars; run this call alone to see all]"
        blocks.append(f"## [{i}] {call['tool']} ({status})\n{output}")
        summary.append({"tool": call["tool"], "success": result.success, "status": status})
    ok = sum(r.success for r in results)
    return ToolResult("\n\n".join(blocks) + f"\n\n[{ok} of {len(results)} calls succeeded]", success=ok > 0,
                      metadata={"calls": summary})


TOOL = Tool(name="batch", description=description_for(__file__), parameters=PARAMETERS, run=run)
