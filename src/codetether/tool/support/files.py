"""Where the file tools read and write text: the local disk, or an editor's open buffers (ACP's fs/* methods)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from codetether.tool.base import ToolContext
from codetether.tool.support.fsutil import commit_files, missing_file, read_text


class Files(Protocol):
    async def read(self, path: Path, shown: str) -> str | None:
        """The file's text, or None when it does not exist; ToolError for a directory or binary content."""
        ...

    async def commit(self, ctx: ToolContext, changes: Mapping[Path, str | None]) -> None:
        """Write (None: delete) every file, all or nothing, calling ctx.before_write before each change."""
        ...


class LocalFiles:
    """The files on disk, written atomically; inside the workspace, read and written beneath it (sandbox/beneath.py:
    no symlink, planted or swapped in meanwhile, leads a read or a write out of it)."""

    def __init__(self, root: Path | None):
        self.root = root  # the workspace; None: no confinement (an outside path the user let through)

    async def read(self, path: Path, shown: str) -> str | None:
        return await asyncio.to_thread(self._read, path, shown)  # off the event loop: a file can be large or slow

    def _read(self, path: Path, shown: str) -> str | None:
        if not (path.exists() or path.is_dir()):
            return None
        inside = self.root is not None and (path == self.root or self.root in path.parents)
        return read_text(path, shown, self.root if inside else None)

    async def commit(self, ctx: ToolContext, changes: Mapping[Path, str | None]) -> None:
        await asyncio.to_thread(commit_files, ctx, changes)


def files_of(ctx: ToolContext) -> Files:
    return ctx.files or LocalFiles(ctx.root)


async def read_existing(ctx: ToolContext, path: Path, shown: str) -> str:
    """The file's text; a missing file is a ToolError that says how to find the right path."""
    text = await files_of(ctx).read(path, shown)
    if text is None:
        raise missing_file(shown)
    return text
