"""The write tool: replace or create a whole file, atomically."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.files import files_of
from codetether.tool.support.fsutil import encode_text

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "File path"},
        "content": {"type": "string", "description": "Full new file content"},
    },
    "required": ["path", "content"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path = ctx.resolve(args["path"])
    shown = ctx.display(path)
    if path.is_dir():
        raise ToolError(f"'{shown}' is a directory; give a file path in 'path'")
    content: str = args["content"]
    created = not path.exists()
    await files_of(ctx).commit(ctx, {path: content})
    size = len(encode_text(content))
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    verb = "Created" if created else "Wrote"
    return ToolResult(f"{verb} {shown} ({lines} lines, {size} bytes)",
                      metadata={"path": shown, "created": created, "bytes": size})


TOOL = Tool(name="write", description=description_for(__file__), parameters=PARAMETERS, run=run)
