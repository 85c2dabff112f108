"""The SDK's request handler, with a bound on how long a blocking SendMessage holds its HTTP request."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator

from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.types import GetTaskRequest, Message, SendMessageRequest, Task, TaskState
from a2a.utils.errors import A2AError

POLL_SECS = 0.05
# A task is done waiting for once it ends or needs something from the client.
SETTLED = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
           TaskState.TASK_STATE_REJECTED, TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}


class BoundedWaitHandler(DefaultRequestHandler):
    """A blocking SendMessage waits for the task to settle, but at most `max_wait` seconds: coding tasks run for
    minutes and proxies drop idle requests. After that it returns the task still WORKING; the agent carries on,
    and the client follows it with GetTask or SubscribeToTask."""

    def __init__(self, *args, max_wait: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    async def on_message_send(self, params: SendMessageRequest, context: ServerCallContext) -> Message | Task:
        await self._infer_context(params, context)
        if params.configuration.return_immediately:
            return await super().on_message_send(params, context)
        deadline = time.monotonic() + self.max_wait
        params.configuration.return_immediately = True
        result = await super().on_message_send(params, context)
        if isinstance(result, Message):
            return result
        query = GetTaskRequest(id=result.id)
        if params.configuration.HasField("history_length"):
            query.history_length = params.configuration.history_length
        while result.status.state not in SETTLED and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECS)
            result = await self.on_get_task(query, context) or result
        return result

    async def on_message_send_stream(self, params: SendMessageRequest,
                                     context: ServerCallContext) -> AsyncGenerator[Event, None]:
        await self._infer_context(params, context)
        async for event in super().on_message_send_stream(params, context):
            yield event

    async def _infer_context(self, params: SendMessageRequest, context: ServerCallContext) -> None:
        """A follow-up naming only its task belongs to that task's context (the SDK would invent a new one)."""
        message = params.message
        if message.task_id and not message.context_id:
            with contextlib.suppress(A2AError):  # an unknown task is reported by the SDK as usual
                task = await self.on_get_task(GetTaskRequest(id=message.task_id), context)
                if task is not None:
                    message.context_id = task.context_id
