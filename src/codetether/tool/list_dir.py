"""The list tool: one directory level, gitignore-aware."""

from __future__ import annotations

import os
from typing import Any

from codetether.sandbox import beneath
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.ignore import matcher_for

MAX_ENTRIES = 1000

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"path": {"type": "string", "description": "Directory (default: current directory)"}},
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path = ctx.resolve(args.get("path") or ".")
    shown = ctx.display(path)
    if not path.exists():
        raise ToolError(f"directory '{shown}' does not exist; check 'path'")
    if not path.is_dir():
        raise ToolError(f"'{shown}' is a file, not a directory; use the read tool to see its content")
    matcher = matcher_for(ctx.root, path)
    names: list[str] = []
    # Listed through a descriptor opened beneath the workspace, not by the path checked above: a directory
    # swapped for a symlink since (a background command can do it) must not list what lies outside.
    fd = beneath.open_dir(ctx.confinement(path), path)
    try:
        with os.scandir(fd) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()  # a symlink to a directory lists as a directory
                except OSError:
                    is_dir = False
                if matcher.ignored(path / entry.name, is_dir):
                    continue
                names.append(entry.name + "/" if is_dir else entry.name)
    finally:
        os.close(fd)
    names.sort()
    total = len(names)
    shown_names = names[:MAX_ENTRIES]
    text = "\n".join(shown_names) if names else "(empty directory)"
    if total > MAX_ENTRIES:
        text += f"\n[... {total - MAX_ENTRIES} more entries not shown; use glob to narrow down]"
    return ToolResult(text, metadata={"path": shown, "count": total, "truncated": total > MAX_ENTRIES})


TOOL = Tool(name="list", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
