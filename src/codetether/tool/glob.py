"""The glob tool: files matching a pattern, newest first, gitignore-aware."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from codetether.sandbox import beneath
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for
from codetether.tool.support.ignore import IgnoreMatcher, compile_glob, matcher_for, walk_entries

DEFAULT_LIMIT = 100
MAX_SCANNED = 100_000  # bounds a walk of a huge tree; the note tells the model to narrow 'path'

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pattern": {"type": "string", "description": "Glob relative to path, e.g. **/*.py"},
        "path": {"type": "string", "description": "Directory to search (default: current directory)"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "Max results (default 100)"},
    },
    "required": ["pattern"],
}


def _scan(root: Path | None, base: Path, regex: re.Pattern[str],
          matcher: IgnoreMatcher) -> tuple[list[tuple[float, Path]], int]:
    """Files under `base` whose path matches, with their mtimes; `base` is opened beneath `root` when given and
    walked through descriptors, so a directory swapped for a symlink meanwhile shows nothing from outside."""
    found: list[tuple[float, Path]] = []
    scanned = 0
    prefix = len(os.path.join(str(base), ""))
    for file, entry in walk_entries(beneath.open_dir(root, base), base, matcher):
        scanned += 1
        if scanned > MAX_SCANNED:
            break
        if regex.fullmatch(str(file)[prefix:]):
            try:
                found.append((entry.stat(follow_symlinks=False).st_mtime, file))
            except OSError:
                continue
    return found, scanned


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    pattern: str = args["pattern"].strip()
    if not pattern:
        raise ToolError("'pattern' is empty; give a glob such as **/*.py")
    if os.path.isabs(pattern) or ".." in Path(pattern).parts:
        raise ToolError(f"'pattern' {pattern!r} must be relative; put the directory to search in 'path'")
    base = ctx.resolve(args.get("path") or ".")
    if not base.is_dir():
        raise ToolError(f"'path' {ctx.display(base)!r} is not a directory")
    limit = int(args.get("limit") or DEFAULT_LIMIT)
    regex = compile_glob(pattern.removeprefix("./"))
    found, scanned = await asyncio.to_thread(_scan, ctx.confinement(base), base, regex, matcher_for(ctx.root, base))
    named = sorted(((-mtime, ctx.display(file)) for mtime, file in found))
    lines = [name for _, name in named[:limit]]
    text = "\n".join(lines) if lines else f"no files match {pattern!r} under {ctx.display(base)}"
    if len(found) > limit:
        text += f"\n[{len(found) - limit} more matches not shown; narrow the pattern or raise 'limit']"
    if scanned > MAX_SCANNED:
        text += f"\n[stopped after scanning {MAX_SCANNED} files; search a smaller 'path']"
    return ToolResult(text, metadata={"count": len(found), "shown": len(lines),
                                      "truncated": len(found) > limit or scanned > MAX_SCANNED})


TOOL = Tool(name="glob", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
