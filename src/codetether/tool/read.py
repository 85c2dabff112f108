"""The read tool: numbered lines of a text file, in pages for large files."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.files import read_existing
from codetether.tool.support.fsutil import display_text

MAX_LINES = 2000
MAX_CHARS = 262_144
MAX_LINE_CHARS = 2000  # one minified line should not eat the whole page

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "File path"},
        "offset": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)"},
        "limit": {"type": "integer", "minimum": 1, "description": "Number of lines to read"},
    },
    "required": ["path"],
}


def split_lines(text: str) -> list[str]:
    """Lines as editors and grep count them: split on \\n only, no phantom line after a final newline."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path = ctx.resolve(args["path"])
    shown = ctx.display(path)
    lines = split_lines(await read_existing(ctx, path, shown))
    total = len(lines)
    offset = int(args.get("offset") or 1)
    limit = args.get("limit")
    if total == 0:
        return ToolResult(f"({shown} is empty)", metadata={"total_lines": 0, "read_lines": 0, "path": shown})
    if offset > total:
        raise ToolError(f"offset {offset} is past the end of '{shown}', which has {total} lines")
    end = total if limit is None else min(total, offset - 1 + int(limit))
    if limit is None:
        end = min(end, offset - 1 + MAX_LINES)
    out: list[str] = []
    size = 0
    for number in range(offset, end + 1):
        line = display_text(lines[number - 1])
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f"… [line cut, {len(line)} chars]"
        row = f"{number:4d} | {line}"
        if limit is None and out and size + len(row) + 1 > MAX_CHARS:
            break
        out.append(row)
        size += len(row) + 1
    last = offset + len(out) - 1
    text = "\n".join(out)
    truncated = last < total and limit is None
    if last < total:
        text += f"\n\n[showing lines {offset}-{last} of {total}; read more with offset={last + 1}]"
    return ToolResult(text, metadata={"total_lines": total, "read_lines": len(out), "path": shown,
                                      "truncated": truncated})


TOOL = Tool(name="read", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
