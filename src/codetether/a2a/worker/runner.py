"""Run one claimed task by its kind (a session through SessionRun, the one agent loop; a swarm; a Ralph run) and
stream its output to the platform in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from codetether.a2a.worker.outcome import Outcome
from codetether.a2a.worker.platform import PlatformClient, PlatformError
from codetether.a2a.worker.tasks import TaskSpec
from codetether.agent import events as ev
from codetether.config.load import Config
from codetether.errors import CodetetherError
from codetether.secrets.redact import redact
from codetether.session.turn import SessionRun
from codetether.tool.support.permission import Approvals

log = logging.getLogger("codetether.worker")
TOOL_OUTPUT_CHARS = 500  # per the spec's "[tool:<name>:ok] <first 500 bytes>", cut on characters
FLUSH_SECS = 15.0  # how long a finished task waits for its queued output before the result is reported
# What --auto-approve safe and none allow (the seed: read-only tools only), as a refused call is told.
READ_ONLY_POLICY = "this worker's --auto-approve {policy} policy runs read-only tools only"


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
    """One task. `stop(reason)` ends its work early; the task is then reported failed with the reason."""

    def __init__(self, client: PlatformClient, config: Config, task: TaskSpec, auto_approve: str):
        self.client, self.config, self.task, self.auto_approve = client, config, task, auto_approve
        self.read_only = None if auto_approve == "all" else READ_ONLY_POLICY.format(policy=auto_approve)
        self.stop_reason: str | None = None
        self.session_id: str | None = None
        self._texts: list[str] = []
        self._work: asyncio.Task[Outcome] | None = None
        self._pump: OutputPump | None = None

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self._work is not None:
            self._work.cancel()  # bash kills its process group when cancelled; swarms and Ralph clean up

    async def run(self) -> Outcome:
        """Never raises for a task-level failure: every ending becomes an Outcome to report."""
        self._pump = OutputPump(self.client, self.task.id)
        try:
            if self.task.problem:
                return Outcome("failed", None, f"Error: {self.task.problem}", None)
            if self.stop_reason is not None:
                return Outcome("failed", None, self.stop_reason, None)
            for note in self.task.notes:
                self._pump.put(note)
            self._work = asyncio.create_task(self._by_kind())
            try:
                return await self._work
            except asyncio.CancelledError:
                if self.stop_reason is None:
                    raise
                return Outcome("failed", self._output() or None, self.stop_reason, self.session_id)
        except CodetetherError as exc:  # no provider, Vault unreachable, unknown model, a broken PRD, ...
            return Outcome("failed", self._output() or None, "Error: " + redact(exc.render().removeprefix("error: ")),
                           self.session_id)
        except Exception as exc:  # a bug must still reach the platform as a failure, not vanish
            log.error("task %s crashed: %s: %s", self.task.id, type(exc).__name__, redact(str(exc))[:300])
            return Outcome("failed", None, f"Error: internal error ({type(exc).__name__}: {redact(str(exc))[:300]})",
                           self.session_id)
        finally:
            await self._pump.close()

    async def _by_kind(self) -> Outcome:
        assert self._pump is not None
        if self.task.kind == "swarm":
            from codetether.a2a.worker.swarm_task import run_swarm_task

            return await run_swarm_task(self.task, self.config, self._pump.put, self.read_only)
        if self.task.kind == "ralph":
            if self.read_only:
                return Outcome("failed", None, f"Error: a Ralph task edits, tests and commits code, and "
                               f"{self.read_only}; start the worker with --auto-approve all to take Ralph tasks", None)
            from codetether.a2a.worker.ralph_task import run_ralph_task

            return await run_ralph_task(self.task, self.config, self._pump.put)
        if self.task.kind == "rlm":  # it reads files and asks the model: nothing to refuse under safe
            from codetether.a2a.worker.rlm_task import run_rlm_task

            return await run_rlm_task(self.task, self.config, self._pump.put)
        return await self._session()

    async def _session(self) -> Outcome:
        run = await self._open()
        try:
            result = await run.turn(self.task.prompt)
        finally:
            self.session_id = run.session_id  # also when stopped: the turn so far is in the session
            await run.aclose()
        if result.exit_reason is ev.ExitReason.COMPLETED:
            return Outcome("completed", self._output() or result.text, None, run.session_id)
        why = (f"stopped after {result.steps} steps (max_steps); the task may be unfinished"
               if result.exit_reason is ev.ExitReason.MAX_STEPS else result.error or result.exit_reason)
        return Outcome("failed", self._output() or None, f"Error: {why}", run.session_id)

    async def _open(self) -> SessionRun:
        """The session to run in: metadata.resume_session_id's when it loads (the spec: else a new one)."""
        assert self._pump is not None
        approvals = Approvals(assume_yes=self.auto_approve == "all", read_only_tools=self.read_only)

        async def open_run(ref: str | None) -> SessionRun:
            return await SessionRun.open(self.config, cwd=self.task.workspace, model_id=self.task.model,
                                         agent_name=self.task.agent, sink=self._sink, approvals=approvals,
                                         session_ref=ref)

        ref = self.task.resume_session_id
        if ref:
            from codetether.session.store import SessionNotFound

            try:
                run = await open_run(ref)
                self._pump.put(f"[session] resumed {run.session_id}")
                return run
            except SessionNotFound as exc:
                self._pump.put(f"[session] could not resume {ref} ({exc.message}); starting a new session")
        return await open_run(None)

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
