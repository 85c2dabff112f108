"""The worker's lifecycle (spec §11.1-11.4): register, take tasks from the SSE stream (polling as fallback and
catch-up), run up to --max-concurrent of them at once, report each exactly once, heartbeat, reconnect with backoff
and jitter, and on shutdown finish or stop the tasks in flight and report them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from codetether.a2a.worker.platform import (
    PlatformAuthError,
    PlatformClient,
    PlatformError,
    PlatformUnreachable,
    StreamUnsupported,
)
from codetether.a2a.worker.runner import Outcome, TaskRunner
from codetether.a2a.worker.settings import WorkerSettings
from codetether.a2a.worker.tasks import parse_task, task_id_of
from codetether.config.load import Config

log = logging.getLogger("codetether.worker")


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential delay with 'equal jitter': never below half the step, so workers spread out but don't spin."""
    step = min(cap, base * (2 ** min(attempt, 30)))
    return step / 2 + random.uniform(0, step / 2)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for `event` at most `seconds`. Not wait_for: on 3.11 it can swallow a cancel that races the event."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class Worker:
    def __init__(self, settings: WorkerSettings, config: Config, models: list[dict[str, str]]):
        self.s, self.config, self.models = settings, config, models
        self.client = PlatformClient(settings.server, settings.token, settings.worker_id, settings.name,
                                     [str(p) for p in settings.workspaces])
        self.stopping = asyncio.Event()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._known: set[str] = set()  # every task id ever queued here: offered again, it is ignored
        self._runners: dict[str, TaskRunner] = {}  # the tasks running now, by id
        self._slots = asyncio.Semaphore(settings.max_concurrent)
        self._jobs: set[asyncio.Task[None]] = set()
        # Providers with a key, for tier routing: those the registered models came from.
        self.providers = list(dict.fromkeys(m["provider"] for m in models))
        self._beat_now = asyncio.Event()
        self._signals = 0

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def run(self) -> int:
        """Serve until SIGTERM/SIGINT (returns 0) or a fatal platform refusal (raises PlatformAuthError)."""
        try:
            await self._register(startup=True)
            await self._poll_once(quiet=False)
            connection = asyncio.create_task(self._connection_loop(), name="connection")
            executor = asyncio.create_task(self._executor_loop(), name="executor")
            heartbeat = asyncio.create_task(self._heartbeat_loop(), name="heartbeat")
            stop = asyncio.create_task(self.stopping.wait())
            await asyncio.wait({connection, stop}, return_when=asyncio.FIRST_COMPLETED)
            fatal = connection.exception() if connection.done() else None
            self.stopping.set()
            connection.cancel()
            await self._drain(executor)
            for task in (connection, heartbeat, stop):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, PlatformError):
                    await task
            if fatal is not None:
                raise fatal
            return 0
        finally:
            await self.client.aclose()

    def request_stop(self, signame: str) -> None:
        """First signal: finish the tasks in flight within the grace period. Second: stop them now."""
        self._signals += 1
        running = ", ".join(self._runners)
        if self._signals == 1:
            busy = f"; finishing task {running} (up to {self.s.grace_secs:g}s)" if running else ""
            log.info("%s received: shutting down%s", signame, busy)
            self.stopping.set()
        elif running:
            log.info("%s received again: stopping task %s now", signame, running)
            for runner in list(self._runners.values()):
                runner.stop(f"Error: the worker was stopped ({signame}) before the task finished")

    async def _drain(self, executor: asyncio.Task[None]) -> None:
        await executor
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=self.s.grace_secs)
        for runner in list(self._runners.values()):
            log.info("task %s did not finish within the %gs grace period: stopping it", runner.task.id,
                     self.s.grace_secs)
            runner.stop(f"Error: the worker shut down and stopped the task after its {self.s.grace_secs:g}s "
                        "grace period; it did not finish")
        if self._jobs:
            await asyncio.wait(set(self._jobs))  # the stopped tasks are still reported before the worker exits

    # -- registration, discovery -----------------------------------------------------------------------------

    async def _register(self, startup: bool = False) -> None:
        try:
            await self.client.register(self.s.hostname, self.models)
        except (PlatformAuthError, PlatformUnreachable):
            raise
        except PlatformError as exc:
            if startup and "HTTP 404" in exc.message:  # not a CodeTether platform at all
                raise PlatformError(f"{exc.message}; is {self.s.server} a CodeTether platform URL?") from None
            log.warning("registration: %s", exc.message)
            return
        if startup:
            models = ", ".join(m["id"] for m in self.models)
            log.info("registered %s as %s with %s (models: %s; workspaces: %s)", self.s.worker_id, self.s.name,
                     self.s.server, models, ", ".join(map(str, self.s.workspaces)))

    async def _poll_once(self, quiet: bool = True) -> None:
        try:
            tasks = await self.client.pending_tasks()
        except (PlatformAuthError, PlatformUnreachable):
            raise
        except PlatformError as exc:
            (log.debug if quiet else log.warning)("polling for tasks: %s", exc.message)
            return
        for task in tasks:
            self._offer(task)

    def _offer(self, event: dict[str, Any]) -> None:
        task_id = task_id_of(event)
        if task_id is None or task_id in self._known or self.stopping.is_set():
            return
        self._known.add(task_id)
        self._queue.put_nowait(event)

    # -- connection: SSE with polling fallback ---------------------------------------------------------------

    async def _connection_loop(self) -> None:
        attempt, sse = 0, True
        while not self.stopping.is_set():
            poller: asyncio.Task[None] | None = None
            try:
                if attempt:
                    await self._register()
                    await self._poll_once()
                if not sse:
                    attempt = 0  # registered and polled: the platform is back
                    await self._poll_forever(raise_errors=True)
                async with self.client.task_stream() as events:
                    log.info("connected to the task stream" + (" again" if attempt else ""))
                    attempt = 0
                    self._beat_now.set()
                    poller = asyncio.create_task(self._poll_forever(raise_errors=False))
                    async for event in events:
                        self._offer(event)
                log.warning("the platform closed the task stream")
            except StreamUnsupported as exc:
                log.info("no SSE task stream (%s): polling every %gs instead", exc.message, self.s.poll_secs)
                sse = False
                continue
            except PlatformAuthError:
                raise
            except PlatformError as exc:
                log.warning("connection lost: %s", exc.message)
            finally:
                if poller is not None:
                    poller.cancel()
            delay = backoff(attempt, self.s.reconnect_secs, self.s.reconnect_max_secs)
            attempt += 1
            log.info("reconnecting in %.1fs", delay)
            await _wait(self.stopping, delay)

    async def _poll_forever(self, raise_errors: bool) -> None:
        """Catch tasks the stream missed (or, without SSE, the only way tasks arrive)."""
        while True:
            await asyncio.sleep(self.s.poll_secs)
            try:
                await self._poll_once()
            except PlatformError as exc:
                if raise_errors:
                    raise
                log.debug("polling for tasks: %s", exc.message)

    async def _heartbeat_loop(self) -> None:
        failures = 0
        while True:
            await _wait(self._beat_now, self.s.heartbeat_secs)
            self._beat_now.clear()
            busy = len(self._runners)
            try:
                await self.client.heartbeat("processing" if busy else "idle", busy)
                failures = 0
            except PlatformError as exc:
                failures += 1
                if failures >= 3:  # the connection loop deals with outages; only persistent failure is worth a line
                    log.warning("3 heartbeats in a row failed: %s", exc.message)
                    failures = 0

    # -- tasks ------------------------------------------------------------------------------------------------

    async def _executor_loop(self) -> None:
        """Take the next task once a slot is free; a task waiting for a slot stays unclaimed for other workers."""
        while not self.stopping.is_set():
            if not await self._until_stopping(self._slots.acquire()):
                return
            got = await self._until_stopping(self._queue.get())
            if not got:
                self._slots.release()
                return  # unclaimed tasks stay pending on the platform for another worker
            job = asyncio.create_task(self._handle(got.result()))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    async def _until_stopping(self, awaitable: Any) -> asyncio.Task[Any] | None:
        """The finished task of `awaitable`, or None when the worker began stopping first."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if work.done() and not self.stopping.is_set():
            return work
        work.cancel()  # a slot or task taken just as the worker stopped is simply not used
        return None

    async def _handle(self, event: dict[str, Any]) -> None:
        try:
            spec = parse_task(event, self.s.workspaces, self.s.model, self.providers)
            if not await self._claim(spec.id):
                return
            log.info("task %s claimed: %s", spec.id, spec.title)
            runner = self._runners[spec.id] = TaskRunner(self.client, self.config, spec, self.s.auto_approve)
            self._beat_now.set()
            try:
                outcome = await runner.run()
            finally:
                del self._runners[spec.id]
            await self._report(spec.id, outcome)
            self._beat_now.set()
        finally:
            self._slots.release()

    async def _claim(self, task_id: str) -> bool:
        for attempt in range(5):
            try:
                ok, why = await self.client.claim(task_id)
            except PlatformAuthError as exc:
                log.warning("task %s: claim refused: %s", task_id, exc.message)
                return False
            except PlatformError as exc:  # unknown whether it reached the platform: ask again (claims are ours)
                if self.stopping.is_set():
                    log.warning("task %s: claim failed while shutting down (%s); not running it", task_id, exc.message)
                    return False
                log.warning("task %s: claim failed (%s); retrying", task_id, exc.message)
                await asyncio.sleep(backoff(attempt, self.s.reconnect_secs, self.s.reconnect_max_secs))
                continue
            if not ok:
                log.info("task %s: not claimed (%s); another worker has it", task_id, why)
            return ok
        log.warning("task %s: could not be claimed; leaving it to the platform", task_id)
        return False

    async def _report(self, task_id: str, outcome: Outcome) -> None:
        """Deliver the result exactly once: retry through outages, stop only once it is accepted or refused."""
        attempt = 0
        while True:
            try:
                status = await self.client.release(task_id, outcome.status, outcome.result, outcome.error,
                                                   outcome.session_id)
                break
            except PlatformError as exc:
                if self.stopping.is_set() and attempt >= 3:  # bounded, so shutdown ends in seconds
                    log.error("task %s: the result (%s) could not be reported: %s", task_id, outcome.status,
                              exc.message)
                    return
                log.warning("task %s: reporting the result failed (%s); retrying", task_id, exc.message)
                await asyncio.sleep(backoff(attempt, self.s.reconnect_secs, self.s.reconnect_max_secs))
                attempt += 1
        if status >= 400:
            log.warning("task %s: the platform did not accept the result (HTTP %d)", task_id, status)
        else:
            log.info("task %s %s%s", task_id, outcome.status, f": {outcome.error}" if outcome.error else "")
