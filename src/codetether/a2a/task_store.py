"""The SDK's in-memory task store, which also tells waiters when a task is saved in a state they wait for: a
blocking SendMessage waits for its task to settle on that signal instead of polling the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore
from a2a.types import Task


class WatchedTaskStore(InMemoryTaskStore):
    def __init__(self) -> None:
        super().__init__()
        self._waiters: dict[str, list[tuple[Callable[[Task], bool], asyncio.Future[None]]]] = {}

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await super().save(task, context)
        still: list[tuple[Callable[[Task], bool], asyncio.Future[None]]] = []
        for wanted, waiter in self._waiters.pop(task.id, ()):
            if waiter.done():
                continue
            if wanted(task):
                waiter.set_result(None)
            else:
                still.append((wanted, waiter))
        if still:
            self._waiters[task.id] = still

    def saved(self, task_id: str, wanted: Callable[[Task], bool]) -> asyncio.Future[None]:
        """A future that completes when the task is next saved in a state `wanted` accepts; ask for it before
        reading the task, so no save is missed."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(task_id, []).append((wanted, waiter))
        return waiter

    def forget(self, task_id: str, waiter: asyncio.Future[None]) -> None:
        """A waiter that gave up (its deadline passed) stops being kept."""
        waiters = self._waiters.get(task_id, [])
        waiters[:] = [entry for entry in waiters if entry[1] is not waiter]
        if not waiters:
            self._waiters.pop(task_id, None)
