"""The todo_write tool: replace this session's todo list (kept in the session store across turns)."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.session_state import TODO_MARKS, render_todos, save

MAX_TODOS = 50

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "todos": {
            "type": "array",
            "description": "The whole new list",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "content": {"type": "string"},
                    "status": {"type": "string", "enum": list(TODO_MARKS)},
                    "priority": {"type": "string", "enum": ["low", "medium", "high"]},
                },
                "required": ["content"],
            },
        },
    },
    "required": ["todos"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    given: list[dict[str, Any]] = args["todos"]
    if len(given) > MAX_TODOS:
        raise ToolError(f"'todos' has {len(given)} items; keep it to {MAX_TODOS} or fewer")
    todos, seen = [], set()
    for i, item in enumerate(given):
        content = item["content"].strip()
        if not content:
            raise ToolError(f"'todos[{i}].content' is empty; say what is to be done")
        todo_id = str(item.get("id") or i + 1).strip()
        if todo_id in seen:
            raise ToolError(f"'todos[{i}].id' {todo_id!r} is used twice; ids must be unique")
        seen.add(todo_id)
        todos.append({"id": todo_id, "content": content, "status": item.get("status") or "pending",
                      "priority": item.get("priority") or "medium"})
    save(ctx, "todos", todos)
    return ToolResult(render_todos(todos), metadata={"todos": todos})


TOOL = Tool(name="todo_write", description=description_for(__file__), parameters=PARAMETERS, run=run)
