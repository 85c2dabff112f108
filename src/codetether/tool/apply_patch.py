"""The apply_patch tool: apply a multi-file unified diff, all files or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.files import files_of
from codetether.tool.support.patch import FilePatch, Text, apply_hunks, parse_patch

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "patch": {"type": "string", "description": "Unified diff text"},
        "dry_run": {"type": "boolean", "description": "Only check that it applies (default false)"},
    },
    "required": ["patch"],
}


class _Workspace:
    """File contents as the patch sees them so far: loaded lazily, changed only in memory."""

    def __init__(self, ctx: ToolContext):
        self.ctx = ctx
        self.state: dict[Path, str | None] = {}
        self.original: dict[Path, str | None] = {}

    async def resolve(self, name: str) -> tuple[Path, str]:
        path = self.ctx.resolve(name)
        shown = self.ctx.display(path)
        if path.is_dir():
            raise ToolError(f"patch names '{shown}', which is a directory")
        if path not in self.state:
            self.original[path] = self.state[path] = await files_of(self.ctx).read(path, shown)
        return path, shown

    def changes(self) -> dict[Path, str | None]:
        return {p: text for p, text in self.state.items() if text != self.original[p]}


async def _apply_one(ws: _Workspace, fp: FilePatch) -> str:
    if fp.old_path is None and fp.new_path is None:
        raise ToolError("a file header has /dev/null on both sides")
    if fp.old_path is None:
        assert fp.new_path is not None
        path, shown = await ws.resolve(fp.new_path)
        if ws.state[path]:
            raise ToolError(f"patch creates '{shown}', but it already exists; diff against its current content")
        ws.state[path] = apply_hunks(Text([]), fp.hunks, shown).render()
        return f"A {shown}"
    src, src_shown = await ws.resolve(fp.old_path)
    current = ws.state[src]
    if current is None:
        raise ToolError(f"patch changes '{src_shown}', which does not exist; check the path in the --- header")
    result = apply_hunks(Text.parse(current), fp.hunks, src_shown).render()
    if fp.new_path is None:
        if result.strip():
            raise ToolError(f"patch deletes '{src_shown}' but does not remove all of its content; "
                            "make the hunk remove every line")
        ws.state[src] = None
        return f"D {src_shown}"
    if not fp.hunks and fp.old_path == fp.new_path:
        raise ToolError(f"the diff for '{src_shown}' has no @@ hunks")
    dst, dst_shown = await ws.resolve(fp.new_path)
    if dst != src:
        if ws.state[dst] is not None:
            raise ToolError(f"patch renames '{src_shown}' to '{dst_shown}', which already exists")
        ws.state[src] = None
        ws.state[dst] = result
        return f"R {src_shown} -> {dst_shown}"
    ws.state[src] = result
    return f"M {src_shown}"


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    ws = _Workspace(ctx)
    summary = []
    for fp in parse_patch(args["patch"]):
        summary.append(await _apply_one(ws, fp))
    changes = ws.changes()
    files = [ctx.display(p) for p in changes]
    if args.get("dry_run"):
        return ToolResult("Patch applies cleanly (dry run, nothing written):\n" + "\n".join(summary),
                          metadata={"files": files, "dry_run": True})
    await files_of(ctx).commit(ctx, changes)
    return ToolResult("Applied patch:\n" + "\n".join(summary), metadata={"files": files, "dry_run": False})


TOOL = Tool(name="apply_patch", description=description_for(__file__), parameters=PARAMETERS, run=run)
