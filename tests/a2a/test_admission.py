"""Admission of tasks to serve (codetether/a2a/admission.py): at once while the loop's thread has room, first
come first served (SLOTS at a time) while it is busy, and a cancelled waiter gives its place on."""

from __future__ import annotations

import asyncio
import time

import pytest

from codetether.a2a.admission import Admission


async def _task(admission: Admission, name: str, release: asyncio.Event, log: list[str]) -> None:
    async with admission.admitted():
        log.append(f"start {name}")
        await release.wait()
        log.append(f"end {name}")


def test_a_loop_with_room_starts_every_task_at_once():
    async def scenario() -> list[str]:
        admission, release, log = Admission(slots=2), asyncio.Event(), []
        tasks = [asyncio.create_task(_task(admission, str(n), release, log)) for n in range(20)]
        await asyncio.sleep(0.05)  # a few looks: the thread only waits
        started = [line for line in log if line.startswith("start")]
        release.set()
        await asyncio.gather(*tasks)
        return started

    assert len(asyncio.run(scenario())) == 20


def test_a_busy_loop_starts_tasks_in_order_of_arrival_a_few_at_a_time():
    async def scenario() -> list[str]:
        admission = Admission(slots=2, tick=60)  # no look during the test: it stays busy
        admission.busy = True
        gates = [asyncio.Event() for _ in range(5)]
        log: list[str] = []
        tasks = [asyncio.create_task(_task(admission, str(n), gates[n], log)) for n in range(5)]
        await asyncio.sleep(0)
        assert log == ["start 0", "start 1"]
        for n in (1, 0, 2, 3, 4):
            gates[n].set()
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)
        return log

    assert asyncio.run(scenario()) == ["start 0", "start 1", "end 1", "start 2", "end 0", "start 3", "end 2",
                                       "start 4", "end 3", "end 4"]


def test_a_cancelled_waiter_gives_its_place_to_the_next():
    async def scenario() -> list[str]:
        admission = Admission(slots=1, tick=60)
        admission.busy = True
        first, later, log = asyncio.Event(), asyncio.Event(), []
        running = asyncio.create_task(_task(admission, "a", first, log))
        waiting = asyncio.create_task(_task(admission, "b", later, log))
        behind = asyncio.create_task(_task(admission, "c", later, log))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        first.set()
        later.set()
        await asyncio.gather(running, behind)
        return log

    assert asyncio.run(scenario()) == ["start a", "end a", "start c", "end c"]


def test_the_queue_moves_while_something_else_keeps_the_loop_busy():
    """A flood of requests that are not tasks keeps the thread busy while the running task waits on its model:
    a new task still gets in (found by a hostile review: it used to wait for the flood to end)."""
    async def scenario() -> float:
        admission, stalled, log = Admission(slots=1), asyncio.Event(), []
        holder = asyncio.create_task(_task(admission, "holder", stalled, log))  # its model never answers here
        stop = time.monotonic() + 1.5

        async def flood() -> None:
            while time.monotonic() < stop:
                end = time.monotonic() + 0.004
                while time.monotonic() < end:
                    pass
                await asyncio.sleep(0)

        burner = asyncio.create_task(flood())
        await asyncio.sleep(0.05)
        started, go = time.monotonic(), asyncio.Event()
        go.set()
        await asyncio.wait_for(_task(admission, "victim", go, log), 1.2)
        waited = time.monotonic() - started
        stalled.set()
        await asyncio.gather(holder, burner)
        return waited

    assert asyncio.run(scenario()) < 1.0
