"""The question tool: ask the user when a front end can; headless runs tell the model to decide itself."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

NO_USER = "no user available; proceed with your best judgement"

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string"},
        "options": {"type": "array", "items": {"type": "string"}, "description": "Suggested answers"},
        "default": {"type": "string", "description": "Answer if the user gives none"},
    },
    "required": ["question"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    question = args["question"].strip()
    if not question:
        raise ToolError("'question' is empty; write the question for the user")
    options = [o.strip() for o in args.get("options") or [] if o.strip()]
    default = (args.get("default") or "").strip() or None
    if ctx.ask_user is None:
        hint = f" (your suggested default was {default!r})" if default else ""
        return ToolResult(NO_USER + hint, metadata={"answered": False})
    answer = (await ctx.ask_user(question, options, default)).strip() or default
    if not answer:
        return ToolResult("the user gave no answer; proceed with your best judgement", metadata={"answered": False})
    return ToolResult(f"The user answered: {answer}", metadata={"answered": True})


TOOL = Tool(name="question", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
