"""The plan_enter tool: switch this session to the read-only plan agent, keeping the plan in the session."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.session_state import load, save

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "goal": {"type": "string"},
        "steps": {"type": "array", "items": {"type": "string"}, "description": "Planned steps, in order"},
    },
    "required": ["goal", "steps"],
}


def render_plan(plan: dict[str, Any]) -> str:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(plan["steps"], 1))
    summary = f"\nSummary: {plan['summary']}" if plan.get("summary") else ""
    return f"Goal: {plan['goal']}\nSteps:\n{steps}{summary}"


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    goal = args["goal"].strip()
    steps = [s.strip() for s in args["steps"] if s.strip()]
    if not goal:
        raise ToolError("'goal' is empty; say what the plan is for")
    if not steps:
        raise ToolError("'steps' is empty; list the planned steps")
    if ctx.switch_agent is None:
        raise ToolError("this run cannot switch agents")
    if (load(ctx, "plan") or {}).get("active"):
        raise ToolError("already in plan mode; call plan_exit first")
    previous = ctx.switch_agent("plan")
    plan = {"goal": goal, "steps": steps, "active": True, "previous_agent": previous, "summary": ""}
    save(ctx, "plan", plan)
    tools = ", ".join(ctx.tools.names) if ctx.tools else "read-only tools"
    return ToolResult(f"Plan mode: you are now the read-only plan agent (tools: {tools}). Investigate and refine "
                      f"the plan; nothing can be changed now. Call plan_exit with a summary to return to the "
                      f"{previous} agent and carry it out.\n\n{render_plan(plan)}", metadata={"agent": "plan"})


TOOL = Tool(name="plan_enter", description=description_for(__file__), parameters=PARAMETERS, run=run)
