"""File access for ACP sessions: through the editor's buffers when it offers fs/*, and every write recorded so
its tool call can show the diff."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp import RequestError

from codetether.tool.base import ToolContext, ToolError
from codetether.tool.support.files import Files, LocalFiles
from codetether.tool.support.fsutil import file_is_binary

log = logging.getLogger("codetether.acp")


@dataclass
class Change:
    path: Path
    old: str | None  # None: the file did not exist
    new: str | None  # None: the file was deleted


class ClientFiles:
    """fs/read_text_file and fs/write_text_file, so the agent sees and edits what the editor has open (saved or
    not); a directory, binary content and deletions stay local, since ACP has no words for them."""

    def __init__(self, conn: Any, session_id: Callable[[], str], can_read: bool, can_write: bool,
                 root: Callable[[], Path | None] = lambda: None):
        self.conn, self.session_id, self.can_read, self.can_write = conn, session_id, can_read, can_write
        self.root = root  # the workspace, for what is read and written on disk instead

    async def read(self, path: Path, shown: str) -> str | None:
        if not self.can_read or path.is_dir() or (path.is_file() and file_is_binary(path)):
            return await LocalFiles(self.root()).read(path, shown)
        try:
            return (await self.conn.read_text_file(session_id=self.session_id(), path=str(path))).content
        except (RequestError, ConnectionError) as exc:
            if not path.exists():
                return None
            log.info("the editor could not read %s (%s); reading it from disk", path, exc)
            return await LocalFiles(self.root()).read(path, shown)

    async def commit(self, ctx: ToolContext, changes: Mapping[Path, str | None]) -> None:
        if not self.can_write:
            return await LocalFiles(self.root()).commit(ctx, changes)
        originals = {path: await self.read(path, ctx.display(path)) for path in changes}
        done: list[Path] = []
        try:
            for path, content in changes.items():
                ctx.before_write(path)
                await self._put(path, content)
                done.append(path)
        except BaseException:
            for path in reversed(done):  # all or nothing, as on disk
                try:
                    await self._put(path, originals[path])
                except Exception as exc:
                    log.warning("could not restore %s after a failed write: %s", path, exc)
            raise

    async def _put(self, path: Path, content: str | None) -> None:
        if content is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await self.conn.write_text_file(session_id=self.session_id(), path=str(path), content=content)
        except (RequestError, ConnectionError) as exc:
            raise ToolError(f"the editor could not write {path}: {exc}") from None


class RecordingFiles:
    """Another Files with every committed change kept until taken, for the tool call's diff."""

    def __init__(self, inner: Files):
        self.inner = inner
        self.changes: list[Change] = []

    async def read(self, path: Path, shown: str) -> str | None:
        return await self.inner.read(path, shown)

    async def commit(self, ctx: ToolContext, changes: Mapping[Path, str | None]) -> None:
        before = {path: await self._old(path, ctx.display(path)) for path in changes}
        await self.inner.commit(ctx, changes)
        self.changes += [Change(path, before[path], new) for path, new in changes.items()]

    def take(self) -> list[Change]:
        taken, self.changes = self.changes, []
        return taken

    async def _old(self, path: Path, shown: str) -> str | None:
        try:
            return await self.inner.read(path, shown)
        except ToolError:  # binary before: the diff shows it as new text
            return None
