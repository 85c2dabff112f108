"""The plan_exit tool: leave plan mode, back to the agent that called plan_enter, with the plan kept."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.plan_enter import render_plan
from codetether.tool.support.session_state import load, save

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "The final plan, briefly"}},
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    plan = load(ctx, "plan") or {}
    if not plan.get("active"):
        # A run started as the plan agent stays read-only: leaving is for plans begun with plan_enter.
        raise ToolError("not in a plan mode begun with plan_enter; give the plan as your answer instead")
    if ctx.switch_agent is None:
        raise ToolError("this run cannot switch agents")
    previous = plan["previous_agent"]
    ctx.switch_agent(previous)
    plan.update(active=False, summary=(args.get("summary") or "").strip())
    save(ctx, "plan", plan)
    return ToolResult(f"Plan mode ended: you are the {previous} agent again, with all its tools. Carry out the "
                      f"plan.\n\n{render_plan(plan)}", metadata={"agent": previous})


# read_only: it changes no files, and the plan agent's policy must let it through.
TOOL = Tool(name="plan_exit", description=description_for(__file__), parameters=PARAMETERS, run=run,
            read_only=True)
