"""The todo_read tool: this session's todo list."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolResult, description_for
from codetether.tool.support.session_state import load, render_todos

PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    todos = load(ctx, "todos") or []
    return ToolResult(render_todos(todos), metadata={"todos": todos})


TOOL = Tool(name="todo_read", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
