"""State the session tools keep per session (todo list, plan), in the session store."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import SessionBinding, ToolContext, ToolError

TODO_MARKS = {"pending": "[ ]", "in_progress": "[~]", "done": "[x]", "blocked": "[!]"}


def load(ctx: ToolContext, key: str) -> Any:
    return _session(ctx).get_state(key)


def save(ctx: ToolContext, key: str, value: Any) -> None:
    _session(ctx).set_state(key, value)


def _session(ctx: ToolContext) -> SessionBinding:
    if ctx.session is None or not ctx.session.id:
        raise ToolError("this run has no recorded session to keep it in")
    return ctx.session


def render_todos(todos: list[dict[str, Any]]) -> str:
    if not todos:
        return "the todo list is empty"
    lines = [f"{TODO_MARKS[t['status']]} {t['id']}. {t['content']}"
             + (f" ({t['priority']})" if t["priority"] != "medium" else "") for t in todos]
    counts = {s: sum(t["status"] == s for t in todos) for s in TODO_MARKS}
    return "\n".join(lines) + "\n" + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
