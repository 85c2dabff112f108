"""`session/update` notifications, sent in the order they were made; neighbouring text chunks travel as one."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from acp.schema import AgentMessageChunk, AgentThoughtChunk, TextContentBlock

log = logging.getLogger("codetether.acp")
Send = Callable[[Any], Awaitable[None]]
_CHUNKS = (AgentMessageChunk, AgentThoughtChunk)


class UpdateStream:
    """A queue the agent loop's synchronous event sink can feed; one task sends, so order is kept. It starts held:
    what is pushed before the client knows the session (a warning while it opens) waits for `release`."""

    def __init__(self, send: Send):
        self._send = send
        self._items: deque[Any] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._held = True
        self._task = asyncio.create_task(self._pump(), name="acp-updates")

    def push(self, update: Any) -> None:
        if self._closed:
            return
        self._items.append(update)
        self._idle.clear()
        self._wake.set()

    def release(self) -> None:
        """The client knows the session now: send what waited, and from now on send as pushed."""
        self._held = False
        self._wake.set()

    async def flush(self) -> None:
        """Wait until everything pushed so far has been handed to the connection (at once while held)."""
        if not self._held:
            await self._idle.wait()

    async def aclose(self) -> None:
        await self.flush()
        self._closed = True
        self._task.cancel()

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._items and not self._held:
                update = self._take()
                try:
                    await self._send(update)
                except Exception as exc:  # the client went away: nothing more can be told
                    log.debug("session/update not sent: %s", exc)
            if not self._items:
                self._idle.set()

    def _take(self) -> Any:
        """The next update; text chunks of one kind queued behind it are merged into it."""
        update = self._items.popleft()
        if not _is_text_chunk(update):
            return update
        texts = [update.content.text]
        while self._items and type(self._items[0]) is type(update) and _is_text_chunk(self._items[0]):
            texts.append(self._items.popleft().content.text)
        if len(texts) == 1:
            return update
        return type(update)(session_update=update.session_update, content=TextContentBlock(type="text",
                                                                                           text="".join(texts)))


def _is_text_chunk(update: Any) -> bool:
    return isinstance(update, _CHUNKS) and isinstance(update.content, TextContentBlock)
