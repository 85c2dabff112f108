"""Times every step the asyncio loop runs, to catch whatever blocks it (and so the keyboard and the screen).

Each callback the loop runs (a task step, a Textual message handler's slice, a timer) is timed. The time it
blocked the loop is its wall time minus the time the kernel kept its thread waiting for a CPU
(/proc/thread-self/schedstat), so a loaded machine does not count against the code, while CPU work and blocking
calls (sleep, sync I/O, a subprocess) do. A watchdog thread takes the stack of any step still running past the
limit, so a failure names the handler.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field


@dataclass
class Stall:
    blocked_ms: float
    wall_ms: float
    callback: str
    stack: str = ""
    at: float = 0.0  # time.monotonic() when the step began

    def __str__(self) -> str:
        return f"{self.blocked_ms:.0f} ms blocked ({self.wall_ms:.0f} ms wall) in {self.callback}\n{self.stack}"


@dataclass
class LoopWatch:
    """`with LoopWatch(50) as watch:` ... `watch.stalls` lists the steps that blocked the loop longer than 50 ms."""

    limit_ms: float = 50.0
    stalls: list[Stall] = field(default_factory=list)
    steps: int = 0
    worst_ms: float = 0.0

    def __enter__(self) -> LoopWatch:
        self._thread_id = threading.get_ident()
        self._schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        self._running: tuple[float, object] | None = None
        self._stack = ""
        self._original = asyncio.events.Handle._run
        self._stop = threading.Event()
        watch, original = self, self._original

        def timed_run(handle: asyncio.events.Handle) -> None:
            if threading.get_ident() != watch._thread_id:
                return original(handle)
            started, waited = time.perf_counter(), watch._waited()
            watch._running, watch._stack = (started, handle), ""
            try:
                return original(handle)
            finally:
                watch._running = None
                watch._finish(handle, started, waited)

        asyncio.events.Handle._run = timed_run
        self._dog = threading.Thread(target=self._watchdog, daemon=True)
        self._dog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.events.Handle._run = self._original
        self._stop.set()
        self._dog.join()
        if self._running is None:  # left outside a loop step; else that step closes it when it ends
            os.close(self._schedstat)

    def _finish(self, handle: asyncio.events.Handle, started: float, waited: float) -> None:
        if self._stop.is_set():  # the step that left the `with` block: the watch is over
            os.close(self._schedstat)
            return
        wall = time.perf_counter() - started
        blocked = wall - (self._waited() - waited)
        self.steps += 1
        self.worst_ms = max(self.worst_ms, blocked * 1000)
        if blocked * 1000 > self.limit_ms:
            self.stalls.append(Stall(blocked * 1000, wall * 1000, _describe(handle), self._stack,
                                     time.monotonic() - wall))

    def _waited(self) -> float:
        """Seconds this thread has spent runnable but not running (waiting for a CPU)."""
        fields = os.pread(self._schedstat, 128, 0).split()
        return int(fields[1]) / 1e9

    def _watchdog(self) -> None:
        while not self._stop.wait(0.01):
            running = self._running
            if running is None or self._stack or time.perf_counter() - running[0] < self.limit_ms / 1000:
                continue
            frame = sys._current_frames().get(self._thread_id)
            if frame is not None and self._running is running:
                self._stack = "".join(traceback.format_stack(frame)[-12:])

    def report(self) -> str:
        return (f"{len(self.stalls)} of {self.steps} loop steps blocked longer than {self.limit_ms:.0f} ms:\n"
                + "\n".join(str(stall) for stall in self.stalls[:5]))


def _describe(handle: asyncio.events.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return f"task {task.get_name()} ({getattr(coro, '__qualname__', coro)})"
    return repr(callback)
