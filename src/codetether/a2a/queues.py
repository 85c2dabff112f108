"""The a2a-sdk's event queues, made cheap on Python < 3.13.

There the SDK queues every task event through culsans, a thread-safe queue built on aiologic, because asyncio's
queue could not be shut down before 3.13: ~15% of a served task's CPU. The SDK only ever uses the queue's async
side, on the event loop, so `serve` gives it an asyncio queue with Python 3.13's shutdown() instead (on 3.13 the SDK
already uses asyncio's own)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from typing import Any

from a2a.utils import _async_queue_compat as compat

QueueShutDown = compat.QueueShutDown  # what the SDK catches


class ShutdownQueue:
    """A FIFO queue for one event loop: put/get/task_done/join as asyncio.Queue, and shutdown(immediate) as 3.13's."""

    def __init__(self, maxsize: int = 0):
        self.maxsize = maxsize
        self._items: deque[Any] = deque()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()
        self._unfinished = 0
        self._finished = asyncio.Event()
        self._finished.set()
        self._is_shutdown = False

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    async def put(self, item: Any) -> None:
        while self.full():
            if self._is_shutdown:
                raise QueueShutDown
            await _wait_turn(self._putters, self.full)
        self.put_nowait(item)

    def put_nowait(self, item: Any) -> None:
        if self._is_shutdown:
            raise QueueShutDown
        if self.full():
            raise asyncio.QueueFull
        self._items.append(item)
        self._unfinished += 1
        self._finished.clear()
        _wake_next(self._getters)

    async def get(self) -> Any:
        while self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            await _wait_turn(self._getters, self.empty)
        return self.get_nowait()

    def get_nowait(self) -> Any:
        if self.empty():
            raise QueueShutDown if self._is_shutdown else asyncio.QueueEmpty
        item = self._items.popleft()
        _wake_next(self._putters)
        return item

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0:
            self._finished.set()

    async def join(self) -> None:
        if self._unfinished > 0:
            await self._finished.wait()

    def shutdown(self, immediate: bool = False) -> None:
        """Puts raise QueueShutDown from now on, gets once the queue is empty (at once if `immediate`, which also
        drops what is queued, counting each as done); everyone waiting wakes up to find out."""
        self._is_shutdown = True
        if immediate:
            self._unfinished = max(0, self._unfinished - len(self._items))
            self._items.clear()
            if self._unfinished == 0:
                self._finished.set()
        for waiters in (self._getters, self._putters):
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)


async def _wait_turn(waiters: deque[asyncio.Future[None]], still_blocked: Any) -> None:
    """Wait to be woken; a waiter cancelled after being woken passes its turn on to the next one."""
    waiter = asyncio.get_running_loop().create_future()
    waiters.append(waiter)
    try:
        await waiter
    except BaseException:
        waiter.cancel()
        with contextlib.suppress(ValueError):
            waiters.remove(waiter)
        if not still_blocked() and not waiter.cancelled():
            _wake_next(waiters)
        raise


def _wake_next(waiters: deque[asyncio.Future[None]]) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return


def new_queue(maxsize: int = 0) -> Any:
    return ShutdownQueue(maxsize)


def use_asyncio_queues() -> None:
    """Have the SDK's queue factory make ShutdownQueues, wherever it was imported (Python < 3.13 only)."""
    if sys.version_info >= (3, 13):
        return
    for module in sdk_queue_users():
        module.create_async_queue = new_queue


def sdk_queue_users() -> list[Any]:
    """The SDK's modules that make queues (held by the test that fails when a new one appears)."""
    from a2a.server.agent_execution import active_task
    from a2a.server.events import event_queue, event_queue_v2

    return [compat, active_task, event_queue, event_queue_v2]
