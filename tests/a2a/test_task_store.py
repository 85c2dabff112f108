"""The task store a blocking SendMessage waits on (codetether/a2a/task_store.py): a waiter wakes at the first save
in a state it wants, not before, and nothing is kept for a waiter that gave up."""

from __future__ import annotations

import asyncio

from a2a.server.context import ServerCallContext
from a2a.types import Task, TaskState, TaskStatus

from codetether.a2a.task_store import WatchedTaskStore


def _task(state: TaskState) -> Task:
    return Task(id="t1", context_id="c1", status=TaskStatus(state=state))


def test_a_waiter_wakes_only_at_a_save_it_wants():
    async def scenario() -> None:
        store, context = WatchedTaskStore(), ServerCallContext()
        done = store.saved("t1", lambda t: t.status.state == TaskState.TASK_STATE_COMPLETED)
        await store.save(_task(TaskState.TASK_STATE_WORKING), context)
        assert not done.done()
        await store.save(_task(TaskState.TASK_STATE_COMPLETED), context)
        assert done.done()
        assert store._waiters == {}  # a woken waiter is not kept

    asyncio.run(scenario())


def test_a_waiter_that_gives_up_is_forgotten():
    async def scenario() -> None:
        store = WatchedTaskStore()
        waiters = [store.saved("t1", lambda t: False) for _ in range(3)]
        for waiter in waiters:
            store.forget("t1", waiter)
        assert store._waiters == {}
        await store.save(_task(TaskState.TASK_STATE_WORKING), ServerCallContext())  # nobody left to wake

    asyncio.run(scenario())
