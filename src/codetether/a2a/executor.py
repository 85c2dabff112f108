"""The A2A AgentExecutor: each incoming task is one SessionRun turn, reported as A2A task updates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from a2a.helpers import new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import TaskState

from codetether.a2a.reporter import TaskReporter
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.secrets.redact import redact
from codetether.session.turn import SessionRun
from codetether.tool.permission import Approvals

log = logging.getLogger(__name__)
CANCEL_WAIT_SECS = 15.0
FINISHED = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED,
            TaskState.TASK_STATE_REJECTED}  # how long cancel() waits for the turn (and its child processes) to wind down


@dataclass
class TaskSettings:
    """How served tasks run: every task gets its own session in `workspace` (the project `serve` started in)."""

    config: Config
    workspace: Path
    model: str | None = None
    agent: str = "build"
    assume_yes: bool = False  # settle [permission] 'ask' rules as allowed; nobody is there to ask
    max_steps: int | None = None


@dataclass
class _Running:
    turn: asyncio.Task[None]
    reporter: TaskReporter
    cancel_requested: bool = False
    settled: asyncio.Event = field(default_factory=asyncio.Event)


class CodetetherExecutor(AgentExecutor):
    def __init__(self, settings: TaskSettings):
        self.settings = settings
        self._running: dict[str, _Running] = {}

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None
        task = context.current_task
        if task is not None and task.status.state in FINISHED:
            # A follow-up that queued behind this task's turn: the task has ended, so there is nothing to
            # continue. It stays in the task's history; a new task (same contextId) is the way to go on.
            log.info("task %s already ended; follow-up message not run", task.id)
            return
        if task is None:
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work()
        reporter = TaskReporter(updater)
        prompt = context.get_user_input().strip()
        if not prompt:
            note = "the message has no text part: send the task as a text part"
            await reporter.finish("", TaskState.TASK_STATE_FAILED, note)
            return
        running = _Running(asyncio.create_task(self._turn(prompt, reporter)), reporter)
        self._running[task.id] = running
        try:
            await running.turn
        except asyncio.CancelledError:
            current = asyncio.current_task()
            # cancel() stopped only the turn: record CANCELED here, before execute returns, so streaming
            # subscribers see it. If execute itself was cancelled (shutdown), the framework records the end.
            if not running.cancel_requested or (current is not None and current.cancelling()):
                raise
            await reporter.cancelled()
        finally:
            running.settled.set()
            self._running.pop(task.id, None)

    async def _turn(self, prompt: str, reporter: TaskReporter) -> None:
        s = self.settings
        reporter.start()
        run: SessionRun | None = None
        try:
            try:
                run = await SessionRun.open(s.config, cwd=s.workspace, model_id=s.model, agent_name=s.agent,
                                            sink=reporter, max_steps=s.max_steps,
                                            approvals=Approvals(assume_yes=s.assume_yes))
                result = await run.turn(prompt)
            except CodetetherError as exc:  # no provider, Vault unreachable, bad model id, ...
                await reporter.finish("", TaskState.TASK_STATE_FAILED, redact(exc.render().removeprefix("error: ")))
                return
            except Exception as exc:  # a bug: fail this task with a message, keep serving the others
                log.exception("task failed with an internal error")
                note = f"internal error: {type(exc).__name__}: {redact(str(exc))[:300]}"
                await reporter.finish("", TaskState.TASK_STATE_FAILED, note)
                return
            if result.exit_reason == "completed":
                await reporter.finish(result.text, TaskState.TASK_STATE_COMPLETED)
            elif result.exit_reason == "max_steps":
                note = f"stopped after {result.steps} steps (max_steps); the task may be unfinished"
                await reporter.finish(result.text, TaskState.TASK_STATE_FAILED, note)
            else:
                await reporter.finish(result.text, TaskState.TASK_STATE_FAILED, f"error: {result.error}")
        finally:
            reporter.abort()
            if run is not None:
                await run.aclose()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        running = self._running.get(context.task_id or "")
        if running is None:  # not (or no longer) running a turn here: just record the state
            if context.task_id and context.context_id:
                with contextlib.suppress(RuntimeError):
                    await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()
            return
        running.cancel_requested = True
        running.turn.cancel()  # bash kills its process group when cancelled
        try:
            await asyncio.wait_for(running.settled.wait(), CANCEL_WAIT_SECS)
        except TimeoutError:
            log.warning("task %s did not stop within %ss of cancel", context.task_id, CANCEL_WAIT_SECS)
