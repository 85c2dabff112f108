"""serve's event queues for the a2a-sdk on Python < 3.13 (codetether/a2a/queues.py): asyncio's queue with 3.13's
shutdown(), in place of culsans wherever the SDK makes a queue."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys

import pytest

import a2a
from codetether.a2a import queues
from codetether.a2a.queues import QueueShutDown, ShutdownQueue


def run(coro):
    return asyncio.run(coro)


def test_items_come_out_in_order_and_join_waits_for_each_to_be_done():
    async def scenario() -> list[int]:
        q = ShutdownQueue()
        for n in range(3):
            await q.put(n)
        got = [await q.get() for _ in range(3)]
        joined = asyncio.create_task(q.join())
        await asyncio.sleep(0)
        assert not joined.done()
        for _ in got:
            q.task_done()
        await asyncio.wait_for(joined, 1)
        with pytest.raises(ValueError):
            q.task_done()
        return got

    assert run(scenario()) == [0, 1, 2]


def test_after_shutdown_puts_fail_and_gets_drain_what_is_left_then_fail():
    async def scenario() -> None:
        q = ShutdownQueue()
        await q.put("a")
        q.shutdown()
        with pytest.raises(QueueShutDown):
            await q.put("b")
        assert await q.get() == "a"
        with pytest.raises(QueueShutDown):
            await q.get()

    run(scenario())


def test_shutdown_wakes_a_waiting_getter_and_a_waiting_putter():
    async def scenario() -> None:
        empty, full = ShutdownQueue(), ShutdownQueue(maxsize=1)
        await full.put("x")
        getter, putter = asyncio.create_task(empty.get()), asyncio.create_task(full.put("y"))
        await asyncio.sleep(0)
        empty.shutdown()
        full.shutdown()
        with pytest.raises(QueueShutDown):
            await asyncio.wait_for(getter, 1)
        with pytest.raises(QueueShutDown):
            await asyncio.wait_for(putter, 1)

    run(scenario())


def test_immediate_shutdown_drops_the_queue_and_counts_it_done():
    async def scenario() -> None:
        q = ShutdownQueue()
        for n in range(3):
            await q.put(n)
        q.shutdown(immediate=True)
        with pytest.raises(QueueShutDown):
            await q.get()
        await asyncio.wait_for(q.join(), 1)  # nothing is left unfinished

    run(scenario())


def test_a_cancelled_getter_passes_the_item_on():
    async def scenario() -> str:
        q = ShutdownQueue()
        first, second = asyncio.create_task(q.get()), asyncio.create_task(q.get())
        await asyncio.sleep(0)
        await q.put("item")  # wakes `first`...
        first.cancel()  # ...which is cancelled before it takes it
        return await asyncio.wait_for(second, 1)

    assert run(scenario()) == "item"


def test_every_sdk_module_that_makes_a_queue_gets_ours(monkeypatch):
    makers = set()
    for info in pkgutil.walk_packages(a2a.__path__, "a2a."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra (grpc, sql, telemetry) that is not installed
            continue
        if hasattr(module, "create_async_queue"):
            makers.add(module.__name__)
    assert makers == {m.__name__ for m in queues.sdk_queue_users()}, "a new SDK module makes queues: list it"
    for module in queues.sdk_queue_users():  # put back after the test: other tests run the SDK as it comes
        monkeypatch.setattr(module, "create_async_queue", module.create_async_queue)
    queues.use_asyncio_queues()
    if sys.version_info < (3, 13):
        assert all(m.create_async_queue is queues.new_queue for m in queues.sdk_queue_users())
