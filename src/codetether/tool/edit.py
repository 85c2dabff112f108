"""The edit tool: replace one string in a file, tolerating indentation drift, and show the diff."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.files import files_of
from codetether.tool.support.textedit import apply_edit, unified_diff

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "File path"},
        "old_string": {"type": "string", "description": "Text to replace (empty to create a new file)"},
        "new_string": {"type": "string", "description": "Replacement text"},
        "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)"},
    },
    "required": ["path", "old_string", "new_string"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    path = ctx.resolve(args["path"])
    shown = ctx.display(path)
    if path.is_dir():
        raise ToolError(f"'{shown}' is a directory; 'path' must name a file")
    files = files_of(ctx)
    before = await files.read(path, shown)
    result = apply_edit(before, shown, args["old_string"], args["new_string"], bool(args.get("replace_all")))
    await files.commit(ctx, {path: result.content})
    diff = unified_diff(shown, before or "", result.content)
    if result.how == "created":
        text = f"Created {shown}" if before is None else f"Wrote {shown} (it was empty)"
    else:
        times = "1 occurrence" if result.count == 1 else f"{result.count} occurrences"
        note = " (matched ignoring whitespace; re-indented to fit)" if result.how == "whitespace" else ""
        text = f"Edited {shown}: replaced {times}{note}"
    return ToolResult(text, metadata={"path": shown, "replacements": result.count, "match": result.how,
                                      "diff": diff})


TOOL = Tool(name="edit", description=description_for(__file__), parameters=PARAMETERS, run=run)
