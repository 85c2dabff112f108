"""The SDK's request handler, with a bound on how long a blocking SendMessage holds its HTTP request, and
follow-up messages to a working task handed to the executor, which queues them as that task's next turns."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator

from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.types import GetTaskRequest, Message, SendMessageRequest, SubscribeToTaskRequest, Task, TaskState
from a2a.utils.errors import A2AError, InvalidParamsError, TaskNotFoundError, UnsupportedOperationError
from a2a.utils.task import apply_history_length, validate_history_length

from codetether.a2a.executor import CodetetherExecutor, FollowUp
from codetether.a2a.task_store import WatchedTaskStore

RECORD_SECS = 2.0  # how long a follow-up's reply waits for the message to show in the task's history
# A task is done waiting for once it ends or needs something from the client.
SETTLED = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
           TaskState.TASK_STATE_REJECTED, TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}


class BoundedWaitHandler(DefaultRequestHandler):
    """A blocking SendMessage waits for the task to settle, but at most `max_wait` seconds: coding tasks run for
    minutes and proxies drop idle requests. After that it returns the task still WORKING; the agent carries on,
    and the client follows it with GetTask or SubscribeToTask.

    The SDK runs a task's messages one after another, so a follow-up would wait for the running turn and be dropped
    when that turn completes the task. Follow-ups to a task working here go to the executor instead."""

    agent_executor: CodetetherExecutor

    def __init__(self, *args, max_wait: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    async def on_message_send(self, params: SendMessageRequest, context: ServerCallContext) -> Message | Task:
        await self._infer_context(params, context)
        deadline = time.monotonic() + self.max_wait
        immediately = params.configuration.return_immediately
        queued = await self._follow_up(params, context)
        if queued is not None:
            return await self._wait(queued.id, params, context, time.monotonic() if immediately else deadline,
                                    params.message.message_id)
        if immediately:
            return await super().on_message_send(params, context)
        params.configuration.return_immediately = True
        result = await super().on_message_send(params, context)
        if isinstance(result, Message) or result.status.state in SETTLED:
            return result
        return await self._wait(result.id, params, context, deadline)

    async def on_message_send_stream(self, params: SendMessageRequest,
                                     context: ServerCallContext) -> AsyncGenerator[Event, None]:
        await self._infer_context(params, context)
        queued = await self._follow_up(params, context)
        if queued is None:
            async for event in super().on_message_send_stream(params, context):
                yield event
            return
        # The follow-up's stream is the task's: its current state, then every update until it ends.
        try:
            async for event in self.on_subscribe_to_task(SubscribeToTaskRequest(id=queued.id), context):
                yield apply_history_length(event, params.configuration) if isinstance(event, Task) else event
        except UnsupportedOperationError:  # it ended before the subscription began: its final state
            final = await self.on_get_task(GetTaskRequest(id=queued.id), context)
            if final is not None:
                yield apply_history_length(final, params.configuration)

    async def _follow_up(self, params: SendMessageRequest, context: ServerCallContext) -> Task | None:
        """Hand a message naming a task working here to the executor; None leaves the message to the SDK."""
        message = params.message
        if not message.task_id:
            return None
        validate_history_length(params.configuration)
        task = await self.on_get_task(GetTaskRequest(id=message.task_id), context)  # unknown: TaskNotFoundError
        if task is None:
            return None
        if message.context_id != task.context_id:
            raise InvalidParamsError(message=f"Context {message.context_id} does not match context "
                                             f"{task.context_id} of task {task.id}")
        outcome = await self.agent_executor.follow_up(task.id, message)
        if outcome is FollowUp.ENDED:
            raise UnsupportedOperationError(
                message=f"Task {task.id} has ended; to go on, send a new message with contextId {task.context_id} "
                        "and no taskId (it continues the same conversation)")
        return task if outcome is FollowUp.QUEUED else None

    async def _wait(self, task_id: str, params: SendMessageRequest, context: ServerCallContext, deadline: float,
                    message_id: str = "") -> Task:
        """Wait until the task settles or `deadline` passes (and, for a follow-up, until it shows the message),
        looking again when the store saves it settled (or showing the message)."""
        store: WatchedTaskStore = self.task_store  # type: ignore[assignment]  # build_app gives it one
        recorded_by = time.monotonic() + RECORD_SECS
        while True:
            saved = store.saved(task_id, lambda t: t.status.state in SETTLED or bool(message_id)
                                and _has_message(t, message_id))
            try:
                task = await store.get(task_id, context)  # the store itself: the request was validated on arrival
                if task is None:
                    raise TaskNotFoundError
                now = time.monotonic()
                recorded = not message_id or now >= recorded_by or _has_message(task, message_id)
                if recorded and (task.status.state in SETTLED or now >= deadline):
                    return apply_history_length(task, params.configuration)
                until = deadline if recorded else recorded_by
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(saved, max(0.0, until - now))
            finally:
                store.forget(task_id, saved)

    async def _infer_context(self, params: SendMessageRequest, context: ServerCallContext) -> None:
        """A follow-up naming only its task belongs to that task's context (the SDK would invent a new one)."""
        message = params.message
        if message.task_id and not message.context_id:
            with contextlib.suppress(A2AError):  # an unknown task is reported by the SDK as usual
                task = await self.on_get_task(GetTaskRequest(id=message.task_id), context)
                if task is not None:
                    message.context_id = task.context_id


def _has_message(task: Task, message_id: str) -> bool:
    """In the history: the status after the follow-up's own (TaskReporter.received) has moved it there."""
    return any(m.message_id == message_id for m in task.history)
