"""contextId -> the session its tasks continue: a new task in a known context picks up that conversation."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

MAX_CONTEXTS = 1000  # remembered contexts; the least recently used idle one is forgotten first


@dataclass
class Conversation:
    session_id: str | None = None  # set once the context's first turn has created the session
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one turn at a time per session
    users: int = 0  # tasks holding or waiting for the lock; only a context nobody uses may be forgotten


class Conversations:
    """Tasks of one context run their turns one after another in one session; different contexts run in parallel.

    Forgetting a context (past `limit`) only means its next task starts a new session; nothing is deleted."""

    def __init__(self, limit: int = MAX_CONTEXTS):
        self.limit = limit
        self._known: OrderedDict[str, Conversation] = OrderedDict()

    @contextlib.asynccontextmanager
    async def hold(self, context_id: str) -> AsyncIterator[Conversation]:
        """Wait for the context's session to be free and hold it."""
        conversation = self._known.get(context_id)
        if conversation is None:
            conversation = self._known[context_id] = Conversation()
        self._known.move_to_end(context_id)
        conversation.users += 1
        try:
            self._forget_idle()
            async with conversation.lock:
                yield conversation
        finally:
            conversation.users -= 1

    def session_of(self, context_id: str) -> str | None:
        conversation = self._known.get(context_id)
        return conversation.session_id if conversation else None

    def _forget_idle(self) -> None:
        if len(self._known) <= self.limit:
            return
        for context_id in list(self._known):
            if len(self._known) <= self.limit:
                return
            if not self._known[context_id].users:
                del self._known[context_id]
