"""Turn the agent loop's events into A2A task updates: batched text, tool activity, answers, changed files."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from a2a.helpers import new_data_part, new_text_part
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, TaskState

from codetether.agent import events as ev

BATCH_SECS = 0.1  # streamed text is sent at most this often: one update per token would flood slow clients
TOOL_ARGS_CHARS = 200


class TaskReporter:
    """An EventSink (synchronous, called by the loop) whose `pump` publishes the events as WORKING updates.

    One reporter serves a task's every turn, so changed files add up until the task finishes."""

    def __init__(self, updater: TaskUpdater, batch_secs: float = BATCH_SECS):
        self.updater, self.batch_secs = updater, batch_secs
        self.changed_files: dict[str, None] = {}  # insertion-ordered set
        self._pending: list[ev.Event] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._pump: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()  # the pump, a turn's end and a follow-up's record never interleave updates

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallCompleted) and event.success:
            for path in changed_paths(event.name, event.metadata):
                self.changed_files[path] = None
        if isinstance(event, ev.TextChunk | ev.ToolCallStarted | ev.ToolCallCompleted | ev.AgentError):
            self._pending.append(event)
            self._wake.set()

    def start(self) -> None:
        self._pump = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let the pump publish what it holds and end (a batch is never cut in half)."""
        self._closing = True
        self._wake.set()
        if self._pump is not None:
            await self._pump

    def abort(self) -> None:
        if self._pump is not None:
            self._pump.cancel()

    async def _run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            if not self._closing:
                with contextlib.suppress(TimeoutError):  # a stop() ends the batching wait early
                    await asyncio.wait_for(self._until_closing(), self.batch_secs)
            await self.flush()

    async def _until_closing(self) -> None:
        while not self._closing:
            self._wake.clear()
            await self._wake.wait()

    async def flush(self) -> None:
        async with self._sending:
            await self._flush()

    async def _flush(self) -> None:
        self._wake.clear()
        events, self._pending = self._pending, []
        text: list[str] = []
        for event in events:
            if isinstance(event, ev.TextChunk):
                text.append(event.text)
                continue
            if text:
                await self._status("".join(text), {"kind": "text"})
                text = []
            await self._status(*_describe(event))
        if text:
            await self._status("".join(text), {"kind": "text"})

    async def _status(self, text: str, metadata: dict[str, Any]) -> None:
        message = self.updater.new_agent_message([new_text_part(text)], metadata={"codetether": metadata})
        await self.updater.update_status(TaskState.TASK_STATE_WORKING, message=message)

    async def received(self, message: Message) -> None:
        """Record a follow-up in the task's history now, though its turn comes later.

        The SDK moves a status message into the history when the next status arrives: the follow-up goes out as
        one status, and the note saying it is queued pushes it into the history."""
        note = "message received: it runs as the next turn once the current one ends"
        async with self._sending:
            await self.updater.update_status(TaskState.TASK_STATE_WORKING, message=message)
            await self._status(note, {"kind": "queued", "message_id": message.message_id})

    async def turn_done(self, answer: str, state: TaskState, note: str = "") -> None:
        """A turn ended with more messages queued: publish its answer (or failure) and keep the task WORKING."""
        await self.flush()
        async with self._sending:
            if answer:
                await self.updater.add_artifact([new_text_part(answer)], name="response", last_chunk=True)
            if state != TaskState.TASK_STATE_COMPLETED:
                await self._status(f"{note or 'the turn failed'}; going on with the next message",
                                   {"kind": "error", "fatal": False})

    async def finish(self, answer: str, state: TaskState, note: str = "") -> None:
        """Flush, add the answer and changed-files artifacts, and move the task to its final state."""
        await self.stop()
        async with self._sending:
            await self._flush()
            if answer:
                await self.updater.add_artifact([new_text_part(answer)], name="response", last_chunk=True)
            if self.changed_files:
                files = list(self.changed_files)
                await self.updater.add_artifact([new_text_part("\n".join(files)), new_data_part({"files": files})],
                                                name="changed-files", last_chunk=True)
            text = note or answer or "(no answer)"
            await self.updater.update_status(state, message=self.updater.new_agent_message([new_text_part(text)]))

    async def cancelled(self) -> None:
        self.abort()
        with contextlib.suppress(Exception):  # best effort: the queue may already be closing
            await self.flush()
        await self.updater.cancel(self.updater.new_agent_message([new_text_part("the task was cancelled")]))


def changed_paths(tool: str, metadata: dict[str, Any]) -> list[str]:
    """Workspace-relative paths a successful write/edit/multiedit/apply_patch call changed (bash is not tracked)."""
    if tool in ("write", "edit") and metadata.get("path"):
        return [str(metadata["path"])]
    if tool in ("multiedit", "apply_patch") and not metadata.get("dry_run"):
        return [str(p) for p in metadata.get("files") or []]
    return []


def _describe(event: ev.Event) -> tuple[str, dict[str, Any]]:
    if isinstance(event, ev.ToolCallStarted):
        args = event.arguments if len(event.arguments) <= TOOL_ARGS_CHARS else event.arguments[:TOOL_ARGS_CHARS] + "…"
        return f"[tool] {event.name} {args}", {"kind": "tool_call", "tool": event.name, "call_id": event.call_id}
    if isinstance(event, ev.ToolCallCompleted):
        first = event.output.strip().splitlines()[0][:TOOL_ARGS_CHARS] if event.output.strip() else ""
        verdict = "ok" if event.success else "failed"
        return (f"[tool] {event.name} {verdict} ({event.duration_ms} ms){': ' + first if first else ''}",
                {"kind": "tool_result", "tool": event.name, "call_id": event.call_id, "success": event.success})
    assert isinstance(event, ev.AgentError)
    return f"error: {event.message}", {"kind": "error", "fatal": event.fatal}
