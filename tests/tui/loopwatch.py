"""Times every step the asyncio loop runs, to catch whatever blocks it (and so the keyboard and the screen).

Each callback the loop runs (a task step, a Textual message handler's slice, a timer) is timed. The time it
blocked the loop is the CPU time its thread used plus the time it slept in a blocking call (sleep, file or socket
I/O, waiting for a subprocess), which a watchdog thread samples from /proc (the thread's state and the kernel
function it waits in). Time the kernel gave the CPU to other processes, or that the thread waited for the GIL
(a futex), does not count: on a loaded machine neither says anything about the code. Nor does the garbage
collector's time, which lands in whichever step happens to allocate (`worst_gc_ms` reports it). The watchdog also
takes the stack of any step still running past the limit, so a failure names the handler.
"""

from __future__ import annotations

import asyncio
import gc
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
    gc_ms: float = 0.0  # of which the garbage collector (not counted in blocked_ms)

    def __str__(self) -> str:
        collector = f", plus {self.gc_ms:.0f} ms of garbage collection" if self.gc_ms else ""
        return (f"{self.blocked_ms:.0f} ms blocked ({self.wall_ms:.0f} ms wall{collector}) in {self.callback}\n"
                f"{self.stack}")


@dataclass
class LoopWatch:
    """`with LoopWatch(50) as watch:` ... `watch.stalls` lists the steps that blocked the loop longer than 50 ms."""

    limit_ms: float = 50.0
    stalls: list[Stall] = field(default_factory=list)
    steps: int = 0
    worst_ms: float = 0.0
    worst_gc_ms: float = 0.0  # the longest collection seen (the collector runs inside whatever step allocates)

    def __enter__(self) -> LoopWatch:
        self._thread_id, self._native_id = threading.get_ident(), threading.get_native_id()
        self._proc = f"/proc/{os.getpid()}/task/{self._native_id}"
        self._running: tuple[float, object] | None = None
        self._stack, self._slept = "", 0.0
        self._original = asyncio.events.Handle._run
        self._stop = threading.Event()
        watch, original = self, self._original

        def timed_run(handle: asyncio.events.Handle) -> None:
            if threading.get_ident() != watch._thread_id:
                return original(handle)
            started, cpu = time.perf_counter(), time.thread_time()
            watch._stack, watch._slept, watch._gc_in_step = "", 0.0, 0.0
            watch._running = (started, handle)
            try:
                return original(handle)
            finally:
                watch._running = None
                watch._finish(handle, started, cpu)

        asyncio.events.Handle._run = timed_run
        self._gc_started, self._gc_in_step = 0.0, 0.0
        gc.callbacks.append(self._collector)
        self._dog = threading.Thread(target=self._watchdog, daemon=True)
        self._dog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.events.Handle._run = self._original
        gc.callbacks.remove(self._collector)
        self._stop.set()
        self._dog.join()

    def _finish(self, handle: asyncio.events.Handle, started: float, cpu: float) -> None:
        if self._stop.is_set():  # the step that left the `with` block: the watch is over
            return
        wall = time.perf_counter() - started
        collected = self._gc_in_step
        blocked = time.thread_time() - cpu + self._slept - collected
        self.steps += 1
        self.worst_ms = max(self.worst_ms, blocked * 1000)
        if blocked * 1000 > self.limit_ms:
            self.stalls.append(Stall(blocked * 1000, wall * 1000, _describe(handle), self._stack,
                                     time.monotonic() - wall, collected * 1000))

    def _collector(self, phase: str, _info: dict) -> None:
        """gc.callbacks: the collector's time, which belongs to no handler (it runs wherever memory is asked)."""
        if threading.get_ident() != self._thread_id:
            return
        if phase == "start":
            self._gc_started = time.thread_time()
        else:
            spent = time.thread_time() - self._gc_started
            self._gc_in_step += spent
            self.worst_gc_ms = max(self.worst_gc_ms, spent * 1000)

    def _blocking_call(self) -> bool:
        """Whether the loop's thread sleeps in the kernel now, other than on a futex (the GIL, a lock)."""
        try:
            with open(self._proc + "/stat") as stat, open(self._proc + "/wchan") as wchan:
                state, where = stat.read().rsplit(")", 1)[1].split()[0], wchan.read()
        except OSError:
            return False
        return state in ("S", "D") and not where.startswith("futex")

    def _watchdog(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(0.002):
            now, running = time.perf_counter(), self._running
            if running is not None and self._blocking_call() and self._running is running:
                self._slept += min(now - last, 0.01)  # a late sample counts 10 ms at most
            last = now
            if running is None or self._stack or now - running[0] < self.limit_ms / 1000:
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
