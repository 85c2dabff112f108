"""The A2A AgentExecutor: a task is one or more SessionRun turns, reported as A2A task updates.

Messages sent to a task while it works queue up and run as its next turns, in the same session; a task ends
(completed, failed) once its last queued message has been answered. A new task in the same contextId continues
that context's session (the A2A way to go on after a task has ended)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path

from a2a.helpers import get_message_text, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, TaskState
from a2a.utils.errors import InvalidParamsError

from codetether.a2a.admission import Admission
from codetether.a2a.conversations import Conversations
from codetether.a2a.reporter import TaskReporter
from codetether.agent.events import ExitReason
from codetether.agent.kit import AgentKit
from codetether.agent.loop import AgentResult
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.secrets.redact import redact
from codetether.session.turn import SessionRun
from codetether.tool.support.permission import Approvals

log = logging.getLogger(__name__)
CANCEL_WAIT_SECS = 15.0  # how long cancel() waits for the turn (and its child processes) to wind down
FINISHED = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
            TaskState.TASK_STATE_REJECTED}
MAX_ENDED = 1000  # ended tasks remembered, so a follow-up that just missed its task is told so
CONTEXT_KEY = "a2a_context_id"  # session state naming the A2A context a session belongs to


async def _stored_session(context_id: str, kit: AgentKit | None) -> str | None:
    """The session a context had before serve (re)started, from the shared store (an indexed read, as SessionRun.open
    makes; a thread hop would cost more than it) or a store of its own."""
    if kit is not None:
        return kit.store.session_with_state(CONTEXT_KEY, context_id)

    def look() -> str | None:
        from codetether.session.store import SessionStore

        store = SessionStore()
        try:
            return store.session_with_state(CONTEXT_KEY, context_id)
        finally:
            store.close()

    return await asyncio.to_thread(look)


@dataclass
class TaskSettings:
    """How served tasks run: each contextId gets its own session in `workspace` (the project `serve` started in)."""

    config: Config
    workspace: Path
    model: str | None = None
    agent: str = "build"
    assume_yes: bool = False  # settle [permission] 'ask' rules as allowed; nobody is there to ask
    max_steps: int | None = None
    kit: AgentKit | None = None  # what the tasks share: the session store, providers, project facts


class FollowUp(enum.Enum):
    """What became of a message sent to a task: queued as its next turn, too late, or not a task run here."""

    QUEUED = "queued"
    ENDED = "ended"
    UNKNOWN = "unknown"


@dataclass
class _Running:
    reporter: TaskReporter
    inbox: deque[str] = field(default_factory=deque)  # follow-ups waiting for their turn
    accepting: bool = True  # False once the last turn has ended: the task is finishing
    work: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    finished: bool = False  # the final state is being reported: a cancel now has nothing left to stop
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    async def finish(self, answer: str, state: TaskState, note: str = "") -> None:
        self.accepting, self.finished = False, True
        if self.inbox and state != TaskState.TASK_STATE_COMPLETED:
            note = f"{note} ({len(self.inbox)} queued follow-up message(s) not run)".strip()
        await self.reporter.finish(answer, state, note)


class CodetetherExecutor(AgentExecutor):
    def __init__(self, settings: TaskSettings):
        self.settings = settings
        self.conversations = Conversations()
        self.admission = Admission()
        self._running: dict[str, _Running] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None
        task = context.current_task
        if task is not None and task.status.state in FINISHED:
            # Only reachable through the SDK's own queue: the handler routes follow-ups to running tasks here
            # (follow_up), and the SDK refuses messages to ended tasks.
            log.info("task %s already ended; follow-up message not run", task.id)
            return
        if task is None:
            task = new_task_from_user_message(context.message)
        running = _Running(TaskReporter(TaskUpdater(event_queue, task.id, task.context_id)))
        self._running[task.id] = running  # before the client can learn the task id: follow-ups find it
        try:
            if context.current_task is None:
                await event_queue.enqueue_event(task)
            await running.reporter.updater.start_work()
            prompt = context.get_user_input().strip()
            if not prompt:
                await running.finish("", TaskState.TASK_STATE_FAILED,
                                     "the message has no text part: send the task as a text part")
                return
            running.work = asyncio.create_task(self._work(task.context_id, prompt, running))
            await running.work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            # cancel() stopped only the work: record CANCELED here, before execute returns, so streaming
            # subscribers see it. If execute itself was cancelled (shutdown), the framework records the end.
            if not running.cancel_requested or (current is not None and current.cancelling()):
                raise
            if not running.finished:  # a cancel that raced the final status leaves that status standing
                await running.reporter.cancelled()
        finally:
            running.accepting = False
            running.settled.set()
            self._running.pop(task.id, None)
            self._ended[task.id] = None
            while len(self._ended) > MAX_ENDED:
                self._ended.popitem(last=False)

    async def follow_up(self, task_id: str, message: Message) -> FollowUp:
        """Queue a message for a task working here as its next turn, and record it in the task's history now."""
        running = self._running.get(task_id)
        if running is None or not running.accepting:
            return FollowUp.ENDED if running is not None or task_id in self._ended else FollowUp.UNKNOWN
        text = get_message_text(message).strip()
        if not text:
            raise InvalidParamsError(message="the message has no text part: send the follow-up as a text part")
        running.inbox.append(text)  # before any await: the turn ending now sees it and goes on
        with contextlib.suppress(RuntimeError):  # cancelled meanwhile: the task has ended, the message with it
            await running.reporter.received(message)
        return FollowUp.QUEUED

    async def _work(self, context_id: str, prompt: str, running: _Running) -> None:
        """The task's turns: the first message, then each queued follow-up, all in the context's session."""
        s, reporter = self.settings, running.reporter
        reporter.start()
        run: SessionRun | None = None
        try:
            # The conversation first: a task waiting for an earlier one in its context must not hold a place.
            async with self.conversations.hold(context_id) as conversation, self.admission.admitted():
                try:
                    if conversation.session_id is None:  # not seen since serve started: look in the store
                        conversation.session_id = await _stored_session(context_id, s.kit)
                    run = await SessionRun.open(s.config, cwd=s.workspace, model_id=s.model, agent_name=s.agent,
                                                session_ref=conversation.session_id, sink=reporter,
                                                max_steps=s.max_steps, approvals=Approvals(assume_yes=s.assume_yes),
                                                kit=s.kit, state={CONTEXT_KEY: context_id})  # outlives a restart
                    while True:
                        try:
                            result = await run.turn(prompt)
                        finally:  # a cancelled turn still leaves its session for the context to go on in
                            conversation.session_id = run.session_id or conversation.session_id
                        if not running.inbox:  # finish() stops accepting with no await since this check
                            await running.finish(*_outcome(result))
                            return
                        await reporter.turn_done(*_outcome(result))
                        prompt = running.inbox.popleft()
                except CodetetherError as exc:  # no provider, Vault unreachable, bad model id, ...
                    await running.finish("", TaskState.TASK_STATE_FAILED, redact(exc.render().removeprefix("error: ")))
                except Exception as exc:  # a bug: fail this task with a message, keep serving the others
                    log.exception("task failed with an internal error")
                    note = f"internal error: {type(exc).__name__}: {redact(str(exc))[:300]}"
                    await running.finish("", TaskState.TASK_STATE_FAILED, note)
        finally:
            reporter.abort()
            if run is not None:
                # Shielded: a cancel racing the end must not leave MCP servers or the session store open.
                await asyncio.shield(run.aclose())

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        running = self._running.get(context.task_id or "")
        if running is None or running.work is None:  # not (or no longer) working here: just record the state
            if context.task_id and context.context_id:
                with contextlib.suppress(RuntimeError):
                    await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()
            return
        if running.finished:
            return  # its final state is already on its way; nothing is left to cancel
        running.cancel_requested = True
        running.accepting = False  # queued follow-ups end with the task
        running.work.cancel()  # bash kills its process group when cancelled
        try:
            await asyncio.wait_for(running.settled.wait(), CANCEL_WAIT_SECS)
        except TimeoutError:
            log.warning("task %s did not stop within %ss of cancel", context.task_id, CANCEL_WAIT_SECS)


def _outcome(result: AgentResult) -> tuple[str, TaskState, str]:
    """A turn's answer, the state it would leave the task in, and the note that says why it failed."""
    if result.exit_reason is ExitReason.COMPLETED:
        return result.text, TaskState.TASK_STATE_COMPLETED, ""
    if result.exit_reason is ExitReason.MAX_STEPS:
        note = f"stopped after {result.steps} steps (max_steps); the task may be unfinished"
        return result.text, TaskState.TASK_STATE_FAILED, note
    return result.text, TaskState.TASK_STATE_FAILED, f"error: {result.error}"
