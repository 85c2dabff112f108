"""When every task would start at once on a busy server: first come, first served.

The event loop runs every started task a step at a time, so while the loop's thread is busy all the time (its CPU
is the limit, e.g. 50 tasks against a fast model) each new task only slows the others down, and all of them finish
late together. While that thread is that busy, a new task waits for one of SLOTS running tasks to end, in order of
arrival, and the earliest finish first. A server waiting on models and commands is not busy: tasks start at once,
however many there are. Busy is measured, not guessed: the thread's CPU time over the last TICK of wall time. The
queue never stands still longer than MAX_STALL: requests that are not tasks (a flood of GetTask) can keep the thread
busy while the running tasks wait on their models."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator

SLOTS = 4  # tasks running at once while the loop's thread is busy; once it is not, SLOTS more each TICK
TICK = 0.01  # seconds between looks at the thread's CPU time
BUSY, IDLE = 0.8, 0.5  # share of a TICK the thread spent computing: busy from BUSY on, until below IDLE
MAX_STALL = 0.1  # seconds the queue may stand still: something other than its tasks may keep the thread busy


class Admission:
    def __init__(self, slots: int = SLOTS, tick: float = TICK):
        self.slots, self.tick = slots, tick
        self.busy = False
        self._active = 0
        self._limit = slots  # running tasks admitted until the next look
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._last = (0.0, 0.0)  # (wall, thread CPU) at the last look
        self._moved = 0.0  # when a task last got its place, or the queue last started to form

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Hold a place among the running tasks for the duration (waiting for it only while the loop is busy)."""
        self._watch()
        if self._waiting or (self.busy and self._active >= self._limit):
            turn = asyncio.get_running_loop().create_future()
            if not self._waiting:
                self._moved = time.monotonic()
            self._waiting.append(turn)
            try:
                await turn  # _admit_next counted this task in before waking it
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._leave()  # admitted just as it was cancelled: the place goes to the next
                else:
                    with contextlib.suppress(ValueError):
                        self._waiting.remove(turn)
                raise
        else:
            self._active += 1
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        self._active -= 1
        self._admit_next()

    def _admit_next(self) -> None:
        while self._waiting and self._active < self._limit:
            turn = self._waiting.popleft()
            if not turn.done():
                self._active += 1
                self._moved = time.monotonic()
                turn.set_result(None)

    def _watch(self) -> None:
        """Look at the loop's thread every TICK while there are tasks; no timer runs on an idle server."""
        if self._timer is None:
            self._last = (time.monotonic(), time.thread_time())
            self._timer = asyncio.get_running_loop().call_later(self.tick, self._look)

    def _look(self) -> None:
        wall, cpu = time.monotonic(), time.thread_time()
        spent = (cpu - self._last[1]) / max(wall - self._last[0], 1e-6)
        self._last = (wall, cpu)
        self.busy = spent >= BUSY or (self.busy and spent >= IDLE)
        # A thread that is not busy takes SLOTS more: the queue drains a few at a time, not all at once together.
        self._limit = self.slots if self.busy else self._active + self.slots
        if self._waiting and wall - self._moved > MAX_STALL:  # busy, but not with the tasks it let in: go on
            self._limit = max(self._limit, self._active + 1)
        self._admit_next()
        if self._active or self._waiting:
            self._timer = asyncio.get_running_loop().call_later(self.tick, self._look)
        else:
            self._timer, self.busy, self._limit = None, False, self.slots
