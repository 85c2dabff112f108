"""Run one claimed task through SessionRun (the one agent loop) and stream its output to the platform in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from codetether.a2a.worker.platform import PlatformClient, PlatformError
from codetether.a2a.worker.tasks import TaskSpec
from codetether.agent import events as ev
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.secrets.redact import redact
from codetether.session.turn import SessionRun
from codetether.tool.permission import Approvals

log = logging.getLogger("codetether.worker")
TOOL_OUTPUT_CHARS = 500  # per the spec's "[tool:<name>:ok] <first 500 bytes>", cut on characters
FLUSH_SECS = 15.0  # how long a finished task waits for its queued output before the result is reported


@dataclass
class Outcome:
    status: str  # completed | failed
    result: str | None
    error: str | None
    session_id: str | None


class OutputPump:
    """Posts output lines one at a time, in order; a failed post is retried so a dropped link loses nothing."""

    def __init__(self, client: PlatformClient, task_id: str, retry_secs: float = 0.5):
        self.client, self.task_id, self.retry_secs = client, task_id, retry_secs
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    def put(self, text: str) -> None:
        if text:
            self._queue.put_nowait(text)

    async def _run(self) -> None:
        while (text := await self._queue.get()) is not None:
            delay = self.retry_secs
            while True:
                try:
                    await self.client.output(self.task_id, text)
                    break
                except PlatformError as exc:
                    log.debug("output for %s not delivered (%s); retrying", self.task_id, exc.message)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)

    async def close(self, timeout: float = FLUSH_SECS) -> None:
        self._queue.put_nowait(None)
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            log.warning("task %s: %d output line(s) could not be delivered within %.0fs", self.task_id,
                        self._queue.qsize(), timeout)


class TaskRunner:
    """One task, one session. `stop(reason)` ends the turn early; the task is then reported failed with it."""

    def __init__(self, client: PlatformClient, config: Config, task: TaskSpec, auto_approve: str):
        self.client, self.config, self.task, self.auto_approve = client, config, task, auto_approve
        self.stop_reason: str | None = None
        self._texts: list[str] = []
        self._turn: asyncio.Task | None = None
        self._pump: OutputPump | None = None

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self._turn is not None:
            self._turn.cancel()  # bash kills its process group when cancelled

    async def run(self) -> Outcome:
        """Never raises for a task-level failure: every ending becomes an Outcome to report."""
        self._pump = OutputPump(self.client, self.task.id)
        run: SessionRun | None = None
        try:
            if self.task.problem:
                return Outcome("failed", None, f"Error: {self.task.problem}", None)
            run = await SessionRun.open(self.config, cwd=self.task.workspace, model_id=self.task.model,
                                        agent_name=self.task.agent, sink=self._sink,
                                        approvals=Approvals(assume_yes=self.auto_approve == "all"))
            if self.stop_reason is not None:
                return Outcome("failed", None, self.stop_reason, None)
            self._turn = asyncio.create_task(run.turn(self.task.prompt))
            try:
                result = await self._turn
            except asyncio.CancelledError:
                if self.stop_reason is None:
                    raise
                return Outcome("failed", self._output() or None, self.stop_reason, run.session_id)
            if result.exit_reason == "completed":
                return Outcome("completed", self._output() or result.text, None, run.session_id)
            why = (f"stopped after {result.steps} steps (max_steps); the task may be unfinished"
                   if result.exit_reason == "max_steps" else result.error or result.exit_reason)
            return Outcome("failed", self._output() or None, f"Error: {why}", run.session_id)
        except CodetetherError as exc:  # no provider, Vault unreachable, unknown model, ...
            return Outcome("failed", None, "Error: " + redact(exc.render().removeprefix("error: ")),
                           run.session_id if run else None)
        except Exception as exc:  # a bug must still reach the platform as a failure, not vanish
            log.error("task %s crashed: %s: %s", self.task.id, type(exc).__name__, redact(str(exc))[:300])
            return Outcome("failed", None, f"Error: internal error ({type(exc).__name__}: {redact(str(exc))[:300]})",
                           run.session_id if run else None)
        finally:
            await self._pump.close()
            if run is not None:
                await run.aclose()

    def _output(self) -> str:
        return "\n".join(self._texts).strip()

    def _sink(self, event: ev.Event) -> None:
        assert self._pump is not None
        if isinstance(event, ev.TextComplete):
            self._texts.append(event.text)
            self._pump.put(event.text)
        elif isinstance(event, ev.ToolCallStarted):
            self._pump.put(f"[tool:start:{event.name}]")
        elif isinstance(event, ev.ToolCallCompleted):
            self._pump.put(f"[tool:{event.name}:{'ok' if event.success else 'err'}] "
                           f"{event.output[:TOOL_OUTPUT_CHARS]}")
        elif isinstance(event, ev.AgentError):
            self._pump.put(f"[error] {event.message}")
