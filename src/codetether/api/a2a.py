"""A2A from Python: send a task to another agent, or serve this workspace's agent to others (`codetether serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codetether.server.serve import Listening


@dataclass(frozen=True)
class A2AReply:
    """What the remote agent answered: its text, the task's final state (completed, failed, ...; "message" for a
    plain message), and the ids to continue the conversation with (context_id)."""

    text: str
    state: str
    task_id: str = ""
    context_id: str = ""
    changed_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state in ("completed", "message")


async def send_message(url: str, text: str, *, token: str | None = None, context_id: str | None = None,
                       timeout: float | None = 600) -> A2AReply:
    """Send `text` as a task to the A2A agent at `url` (its base URL) and wait for its answer, as
    `codetether a2a send` does. `token`: its bearer token (default: CODETETHER_TOKEN)."""
    from codetether.a2a import client

    result = await client.send(url, text, token=client.token_or_env(token), context_id=context_id, timeout=timeout)
    if isinstance(result, client.Message):
        return A2AReply(client.answer_text(result), "message", context_id=result.context_id)
    return A2AReply(client.answer_text(result), client.state_name(result), result.id, result.context_id,
                    client.changed_files(result))


class A2AServer:
    """This workspace's agent served over A2A (JSON-RPC, the agent card, /health) inside the running event loop.

    Use `async with serve_a2a(...) as server:`; `server.url` is where clients send. Each A2A context is a
    recorded session, as with `codetether serve`."""

    def __init__(self, workspace: Path, *, model: str | None, agent: str, host: str, port: int,
                 approve_all: bool, max_steps: int | None):
        self.workspace, self.host, self.port = workspace, host, port
        self._model, self._agent, self._approve_all, self._max_steps = model, agent, approve_all, max_steps
        self._ready: Listening | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The base URL clients use (the agent card's)."""
        if self._ready is None:
            raise RuntimeError("the server is not started; use `async with serve_a2a(...)`")
        return self._ready.url

    async def start(self) -> A2AServer:
        """Bind, and return once the server accepts requests."""
        from codetether.a2a.executor import TaskSettings
        from codetether.agent.kit import AgentKit
        from codetether.config.load import load
        from codetether.server.serve import listening

        config = await asyncio.to_thread(load, env=dict(os.environ), project=self.workspace)
        settings = TaskSettings(config, self.workspace, model=self._model, agent=self._agent,
                                assume_yes=self._approve_all, kit=AgentKit(config), max_steps=self._max_steps)
        self._ready = ready = listening(settings, self.host, self.port)
        self._task = asyncio.create_task(ready.server.serve(sockets=[ready.sock]))
        while not ready.server.started:
            if self._task.done():  # it could not start: say why
                self._task.result()
                raise RuntimeError("the A2A server stopped while starting")
            await asyncio.sleep(0.01)
        return self

    async def aclose(self) -> None:
        """Stop accepting, cancel running tasks (their processes end too) and wait for the server to finish."""
        if self._ready is not None and self._task is not None:
            self._ready.server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._ready.sock.close()
        self._task = None

    async def serve_forever(self) -> None:
        """Serve until cancelled (Ctrl+C in asyncio.run)."""
        if self._task is None:
            await self.start()
        assert self._task is not None
        try:
            await asyncio.shield(self._task)
        finally:
            await self.aclose()

    async def __aenter__(self) -> A2AServer:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


def serve_a2a(workspace: str | os.PathLike[str], *, model: str | None = None, agent: str = "build",
              host: str = "127.0.0.1", port: int = 0, approve_all: bool = False,
              max_steps: int | None = None) -> A2AServer:
    """Serve an agent for `workspace` over A2A, like `codetether serve`: `async with serve_a2a(ws) as server:`.

    port 0 picks a free one (see server.url). Beyond loopback, CODETETHER_AUTH_TOKEN must be set. approve_all:
    say yes to what [permission] rules ask about (nobody is there to ask), like `serve --yes`."""
    root = Path(workspace).expanduser().resolve()
    if not root.is_dir():
        raise ValueError(f"workspace {root} is not a directory")
    return A2AServer(root, model=model, agent=agent, host=host, port=port, approve_all=approve_all,
                     max_steps=max_steps)

