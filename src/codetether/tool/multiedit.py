"""The multiedit tool: many edits over many files, computed in memory and written all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codetether.tool.base import PermissionDenied, Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.files import files_of
from codetether.tool.support.textedit import apply_edit, unified_diff

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "edits": {
            "type": "array",
            "description": "Edits applied in order; several may target one file",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "old_string": {"type": "string"},
                    "new_string": {"type": "string"},
                    "replace_all": {"type": "boolean"},
                },
                "required": ["path", "old_string", "new_string"],
            },
        },
    },
    "required": ["edits"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    edits: list[dict[str, Any]] = args["edits"]
    if not edits:
        raise ToolError("'edits' is empty; give at least one {path, old_string, new_string}")
    before: dict[Path, str | None] = {}
    after: dict[Path, str] = {}
    names: dict[Path, str] = {}
    files = files_of(ctx)
    for index, edit in enumerate(edits):
        where = f"edits[{index}]"
        try:
            path = ctx.resolve(edit["path"])
            shown = ctx.display(path)
            if path not in before:
                if path.is_dir():
                    raise ToolError(f"'{shown}' is a directory; 'path' must name a file")
                before[path] = await files.read(path, shown)
            current = after.get(path, before[path])
            result = apply_edit(current, shown, edit["old_string"], edit["new_string"],
                                bool(edit.get("replace_all")))
        except PermissionDenied:
            raise  # kept as is: a refusal must stay a refusal (and an approval request must reach the approver)
        except ToolError as exc:
            raise ToolError(f"{where} (path '{edit['path']}') failed: {exc}. No files were changed") from None
        after[path] = result.content
        names[path] = shown
    await files.commit(ctx, dict(after))
    diffs = [unified_diff(names[p], before[p] or "", after[p]) for p in after]
    summary = ", ".join(names[p] for p in after)
    return ToolResult(f"Applied {len(edits)} edits to {len(after)} file(s): {summary}",
                      metadata={"files": [names[p] for p in after], "edits": len(edits), "diff": "".join(diffs)})


TOOL = Tool(name="multiedit", description=description_for(__file__), parameters=PARAMETERS, run=run)
