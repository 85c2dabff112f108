"""Multi-turn tasks over A2A with the official a2a-sdk client: follow-ups queue as turns of the same session."""

from __future__ import annotations

import asyncio
import json
import time
from functools import partial

import httpx
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_artifact_text
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    Role,
    SendMessageRequest,
    Task,
    TaskState,
)
from a2a.utils.errors import InvalidParamsError, UnsupportedOperationError

from tests.a2a.serve.conftest import user_message
from tests.harness.llm_server import Reply, Stall

DONE = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED}
message = partial(user_message, immediately=True)


async def send(client, request: SendMessageRequest) -> Task:
    events = [event async for event in client.send_message(request)]
    assert events and events[-1].HasField("task"), events
    return events[-1].task


async def until_done(client, task_id: str, timeout: float = 20) -> Task:
    deadline = time.monotonic() + timeout
    while True:
        task = await client.get_task(GetTaskRequest(id=task_id))
        if task.status.state in DONE:
            return task
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.05)


def responses(task: Task) -> list[str]:
    return [get_artifact_text(a) for a in task.artifacts if a.name == "response"]


def user_texts(task: Task) -> list[str]:
    return [m.parts[0].text for m in task.history if m.role == Role.ROLE_USER]


def test_follow_up_to_a_working_task_is_its_next_turn_in_the_same_session(served, llm_server):
    llm_server.script(Stall(1.5, Reply(text="The first answer.")), Reply(text="The second answer."))

    async def scenario() -> tuple[Task, Task, Task, Task]:
        async with httpx.AsyncClient(timeout=60) as http:
            client = await create_client(served.url, ClientConfig(streaming=False, httpx_client=http))
            first = await send(client, message("write the plan"))
            assert first.status.state not in DONE
            # Only the taskId: the server infers the context, queues the message and records it at once.
            queued = await send(client, message("now add tests to it", task_id=first.id))
            final = await until_done(client, first.id)
            limited = await client.get_task(GetTaskRequest(id=first.id, history_length=2))
            return first, queued, final, limited

    first, queued, final, limited = asyncio.run(scenario())
    assert queued.id == first.id and queued.context_id == first.context_id
    assert queued.status.state == TaskState.TASK_STATE_WORKING
    assert user_texts(queued) == ["write the plan", "now add tests to it"]
    assert final.status.state == TaskState.TASK_STATE_COMPLETED
    assert responses(final) == ["The first answer.", "The second answer."]
    assert user_texts(final) == ["write the plan", "now add tests to it"]
    assert len(limited.history) == 2 and len(final.history) > 2
    # The second model call is the same conversation: it saw the first turn, question and answer.
    requests = llm_server.requests
    assert len(requests) == 2
    second = json.dumps(requests[1].body["messages"])
    assert "write the plan" in second and "The first answer." in second and "now add tests to it" in second


def test_streamed_follow_up_follows_the_task_to_its_end(served, llm_server):
    llm_server.script(Stall(1.0, Reply(text="One.")), Reply(text="Two."), Reply(text="Three."))

    async def scenario() -> tuple[list, Task]:
        async with httpx.AsyncClient(timeout=60) as http:
            polling = await create_client(served.url, ClientConfig(streaming=False, httpx_client=http))
            streaming = await create_client(served.url, ClientConfig(streaming=True, httpx_client=http))
            first = await send(polling, message("count"))
            await send(polling, message("again", task_id=first.id))
            events = [e async for e in streaming.send_message(message("and once more", task_id=first.id))]
            return events, await polling.get_task(GetTaskRequest(id=first.id))

    events, final = asyncio.run(scenario())
    assert events[0].HasField("task")  # the stream starts with the task, as SubscribeToTask does
    assert events[-1].HasField("status_update")
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
    assert final.status.state == TaskState.TASK_STATE_COMPLETED
    assert responses(final) == ["One.", "Two.", "Three."]  # one turn per message, in the order sent
    assert user_texts(final) == ["count", "again", "and once more"]
    assert "and once more" in json.dumps(llm_server.requests[2].body["messages"])


def test_an_ended_task_refuses_follow_ups_and_its_context_goes_on(served, llm_server):
    llm_server.script(Reply(text="Alpha."), Reply(text="Beta."))

    async def scenario() -> tuple[Task, Task, str, str]:
        async with httpx.AsyncClient(timeout=60) as http:
            client = await create_client(served.url, ClientConfig(streaming=False, httpx_client=http))
            done = await send(client, message("first question", immediately=False))
            with pytest.raises(UnsupportedOperationError) as ended:
                await send(client, message("too late", task_id=done.id))
            with pytest.raises(InvalidParamsError) as mismatch:
                await send(client, message("wrong context", task_id=done.id, context_id="another-context"))
            # The A2A way on: a new task in the same context, which continues that context's session.
            again = await send(client, message("second question", context_id=done.context_id, immediately=False))
            return done, again, str(ended.value), str(mismatch.value)

    done, again, ended, mismatch = asyncio.run(scenario())
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert "contextId" in ended and "does not match" in mismatch
    assert again.status.state == TaskState.TASK_STATE_COMPLETED and again.id != done.id
    assert again.context_id == done.context_id and responses(again) == ["Beta."]
    requests = llm_server.requests
    assert len(requests) == 2  # the refused messages never reached the model
    second = json.dumps(requests[1].body["messages"])
    assert "first question" in second and "Alpha." in second and "too late" not in second


def test_cancel_drops_the_queued_follow_ups(served, llm_server):
    llm_server.script(Stall(5.0, Reply(text="never seen")), Reply(text="never asked"))

    async def scenario() -> Task:
        async with httpx.AsyncClient(timeout=60) as http:
            client = await create_client(served.url, ClientConfig(streaming=False, httpx_client=http))
            first = await send(client, message("slow work"))
            await send(client, message("queued behind it", task_id=first.id))
            await asyncio.to_thread(llm_server.wait_for_requests, 1)
            return await client.cancel_task(CancelTaskRequest(id=first.id))

    cancelled = asyncio.run(scenario())
    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    time.sleep(0.3)
    assert len(llm_server.requests) == 1
