"""Bounded in-memory buffers (events, snapshots) with metrics, and the fan-out to SSE subscribers."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class RingBuffer(Generic[T]):
    """A deque with a fixed bound: pushing onto a full buffer drops the oldest item and counts it."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._items: deque[T] = deque(maxlen=capacity)
        self.total = 0
        self.dropped = 0

    def push(self, item: T) -> None:
        if len(self._items) == self.capacity:
            self.dropped += 1
        self._items.append(item)
        self.total += 1

    def latest(self) -> T | None:
        return self._items[-1] if self._items else None

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[T]:
        return reversed(self._items)

    def metrics(self) -> dict[str, int]:
        return {"capacity": self.capacity, "buffered": len(self._items), "total": self.total, "dropped": self.dropped}


class Subscriber:
    """One SSE listener: a bounded queue; when the listener falls behind, the oldest events go and are counted."""

    def __init__(self, capacity: int):
        self._queue: deque[dict[str, Any] | None] = deque(maxlen=capacity)
        self._ready = asyncio.Event()
        self.skipped = 0

    def offer(self, event: dict[str, Any] | None) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.skipped += 1
        self._queue.append(event)
        self._ready.set()

    async def next(self, timeout: float) -> tuple[int, list[dict[str, Any] | None]]:
        """Wait up to `timeout` s; return (events skipped since the last call, queued events; None = closed)."""
        if not self._queue:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return 0, []
        skipped, self.skipped = self.skipped, 0
        items = list(self._queue)
        self._queue.clear()
        return skipped, items


class Broadcast:
    """Live fan-out of events to every subscriber (no replay: a new subscriber sees only later events)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._subscribers: set[Subscriber] = set()

    def subscribe(self) -> Subscriber:
        sub = Subscriber(self.capacity)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def publish(self, event: dict[str, Any]) -> None:
        for sub in self._subscribers:
            sub.offer(event)

    def close(self) -> None:
        """End every open stream (server shutdown), so graceful shutdown does not wait on them."""
        for sub in self._subscribers:
            sub.offer(None)

    def __len__(self) -> int:
        return len(self._subscribers)
