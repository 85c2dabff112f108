"""Without git every sub-agent shares the directory: writes to one file are serialised and overlaps reported."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult

WRITE_TOOLS = frozenset({"write", "edit", "multiedit", "apply_patch"})
_PATCH_PATH = re.compile(r"^(?:---|\+\+\+) (?:[ab]/)?(\S+)", re.MULTILINE)


class PathLocks:
    """One asyncio lock per resolved path, taken in sorted order so two multi-file writes never deadlock."""

    def __init__(self) -> None:
        self._locks: dict[Path, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.writers: dict[Path, set[str]] = defaultdict(set)

    @contextlib.asynccontextmanager
    async def hold(self, paths: list[Path]) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for path in sorted(set(paths)):
                await stack.enter_async_context(self._locks[path])
            yield

    def recorder(self, agent_id: str) -> Callable[[Path], None]:
        """A ToolContext.on_file_change hook remembering which sub-agent wrote which file."""
        return lambda path: self.writers[path].add(agent_id)

    def shared_writes(self) -> dict[Path, list[str]]:
        return {p: sorted(w) for p, w in self.writers.items() if len(w) > 1}

    def serialise(self, tool: Tool) -> Tool:
        if tool.name not in WRITE_TOOLS:
            return tool
        inner = tool.run

        async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
            async with self.hold(_paths(tool.name, args, ctx)):
                return await inner(args, ctx)

        return dataclasses.replace(tool, run=run)


def _paths(name: str, args: dict[str, Any], ctx: ToolContext) -> list[Path]:
    raw = _PATCH_PATH.findall(str(args.get("patch", ""))) if name == "apply_patch" else [args.get("path")]
    paths = []
    for given in raw:
        if not isinstance(given, str) or given == "/dev/null":
            continue
        try:
            paths.append(ctx.resolve(given))
        except ToolError:
            continue  # the tool itself refuses it with the full reason
    return paths
