"""An agent for a workspace, driven from Python: the same session-bound agent `codetether run` uses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import typing
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from codetether.agent.events import Event, ExitReason
from codetether.api.approval import ApproveCallback, approvals_for
from codetether.provider.model import Usage
from codetether.tool.base import Tool

if TYPE_CHECKING:
    from codetether.session.turn import SessionRun

AccessMode = Literal["ask", "approve", "full"]
ACCESS_MODES: tuple[str, ...] = typing.get_args(AccessMode)
_DONE = object()


@dataclass(frozen=True)
class Result:
    """How one prompt went: the final answer, why the run ended, its steps and tokens, and the session it is in."""

    text: str
    exit_reason: ExitReason
    steps: int
    usage: Usage
    session_id: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_reason is ExitReason.COMPLETED


class CodingAgent:
    """A coding agent bound to a recorded session in one workspace; one prompt runs at a time.

    Made by create_agent. Open it with `await` or `async with` (closing ends its session's background work)."""

    def __init__(self, workspace: Path, *, model: str | None, agent: str | None, access_mode: AccessMode | None,
                 tools: Sequence[str] | None, extra_tools: Sequence[Tool], approve: ApproveCallback | bool | None,
                 session: str | None, max_steps: int | None, on_event: Callable[[Event], None] | None):
        self.workspace = workspace
        self._model, self._agent, self._access_mode = model, agent, access_mode
        self._tools, self._extra_tools, self._approve = tools, extra_tools, approve
        self._session, self._max_steps, self._on_event = session, max_steps, on_event
        self._run: SessionRun | None = None
        self._lock = asyncio.Lock()
        self._listener: Callable[[Event], None] | None = None
        self._turn: asyncio.Task[Any] | None = None  # the run a stream started, until it ends

    @property
    def session_id(self) -> str | None:
        """The session's id once it is recorded (after the first prompt, or at once when one was continued)."""
        return self._run.session_id if self._run is not None else self._session

    @property
    def model(self) -> str | None:
        """The model in use ("provider/model"), once open."""
        return self._run.prepared.resolved.id if self._run is not None else self._model

    async def open(self) -> CodingAgent:
        """Resolve the model (Vault), read the project and continue the session; `await agent` does the same."""
        if self._run is None:
            from codetether.config.load import load
            from codetether.session.turn import SessionRun

            env = dict(os.environ)
            if self._access_mode is not None:
                env["CODETETHER_ACCESS_MODE"] = self._access_mode
            config = await asyncio.to_thread(load, env=env, project=self.workspace)
            self._run = await SessionRun.open(
                config, cwd=self.workspace, model_id=self._model, agent_name=self._agent, session_ref=self._session,
                sink=self._emit, max_steps=self._max_steps, approvals=approvals_for(self._approve),
                tool_names=self._tools, extra_tools=self._extra_tools)
        return self

    def __await__(self) -> Generator[Any, None, CodingAgent]:
        return self.open().__await__()

    async def __aenter__(self) -> CodingAgent:
        return await self.open()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def run(self, prompt: str) -> Result:
        """Run one prompt to the end (the agent may take many steps and tool calls) and return how it went."""
        async with self._lock:
            run = await self._opened()
            return self._result(run, await run.turn(prompt))

    async def stream(self, prompt: str) -> AsyncIterator[Event]:
        """Run one prompt, yielding its events as they happen (text chunks, tool calls and results, the end).

        Breaking out of the loop early stops the run (once the generator is closed; `contextlib.aclosing`)."""
        async with self._lock:
            run = await self._opened()
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[Any] = asyncio.Queue()
            owner = threading.get_ident()

            def listen(event: Event) -> None:
                if threading.get_ident() == owner:
                    queue.put_nowait(event)
                else:
                    loop.call_soon_threadsafe(queue.put_nowait, event)

            self._listener = listen
            turn = self._turn = asyncio.create_task(run.turn(prompt))
            turn.add_done_callback(lambda _task: queue.put_nowait(_DONE))
            try:
                while (item := await queue.get()) is not _DONE:
                    yield item
                while not queue.empty():  # anything reported after the run ended
                    yield queue.get_nowait()
                turn.result()  # a failure to start the turn is raised here, as run() raises it
            finally:
                self._listener = None
                if not turn.done():
                    turn.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await turn

    async def aclose(self) -> None:
        """End the run: background tasks stop, providers and language servers are let go. The session stays."""
        run, self._run = self._run, None
        turn, self._turn = self._turn, None
        if turn is not None and not turn.done():  # a stream left before its end (a return inside `async for`)
            turn.cancel()
            await asyncio.wait([turn])
        if run is not None:
            self._session = run.session_id
            await run.aclose(wait_for_runs=True)

    async def _opened(self) -> SessionRun:
        await self.open()
        assert self._run is not None
        return self._run

    def _emit(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(event)
        if self._listener is not None:
            self._listener(event)

    @staticmethod
    def _result(run: SessionRun, result: Any) -> Result:
        return Result(result.text, result.exit_reason, result.steps, result.usage, run.session_id or "",
                      result.error)


def create_agent(workspace: str | os.PathLike[str], *, model: str | None = None, agent: str | None = None,
                 access_mode: AccessMode | None = None, tools: Sequence[str] | None = None,
                 extra_tools: Sequence[Tool | Callable[..., Any]] = (), approve: ApproveCallback | bool | None = None,
                 session: str | None = None, continue_latest: bool = False, max_steps: int | None = None,
                 on_event: Callable[[Event], None] | None = None) -> CodingAgent:
    """An agent working in `workspace`; `await` it, or use `async with`.

    model: "provider/model" (default: the configured default model). agent: build, plan, explore, chat...
    (default build, or a continued session's). access_mode: ask, approve or full (default: the config's).
    tools: the built-in tools it may use, by name (default: its kind's own); extra_tools: Python functions or
    Tools besides. approve: settles what a [permission] rule asks about (a callback getting an ApprovalRequest,
    True for yes to all, None to refuse). session: a session id (or prefix) to continue; continue_latest: this
    workspace's newest session. on_event: gets every event of every run."""
    from codetether.api.tools import function_tool
    from codetether.session.turn import CONTINUE_LATEST

    if session is not None and continue_latest:
        raise ValueError("give either session or continue_latest, not both")
    if access_mode is not None and access_mode not in ACCESS_MODES:
        raise ValueError(f"access_mode must be one of {', '.join(ACCESS_MODES)}, not {access_mode!r}")
    root = Path(workspace).expanduser().resolve()
    if not root.is_dir():
        raise ValueError(f"workspace {root} is not a directory")
    made = [t if isinstance(t, Tool) else function_tool(t) for t in extra_tools]
    return CodingAgent(root, model=model, agent=agent, access_mode=access_mode, tools=tools, extra_tools=made,
                       approve=approve, session=CONTINUE_LATEST if continue_latest else session,
                       max_steps=max_steps, on_event=on_event)
