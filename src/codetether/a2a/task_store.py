"""The SDK's in-memory task store, which also tells waiters when a task is saved: a blocking SendMessage waits
for its task to settle on that signal instead of polling the store."""

from __future__ import annotations

import asyncio

from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import Task


class WatchedTaskStore(InMemoryTaskStore):
    def __init__(self) -> None:
        super().__init__()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await super().save(task, context)
        for waiter in self._waiters.pop(task.id, ()):
            if not waiter.done():
                waiter.set_result(None)

    def next_save(self, task_id: str) -> asyncio.Future[None]:
        """A future that completes at the task's next save; ask for it before reading the task, so no save is missed."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(task_id, []).append(waiter)
        return waiter

    def forget(self, task_id: str, waiter: asyncio.Future[None]) -> None:
        """A waiter that gave up (its deadline passed) stops being kept."""
        waiters = self._waiters.get(task_id)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._waiters[task_id]
