"""`codetether acp` as a subprocess driven by the official ACP Python SDK's client, against the scripted LLM
server and OpenBao."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import API_KEY, workspace  # noqa: F401  (fixture re-export)

AGENT = [sys.executable, "-m", "codetether", "acp"]


@dataclass
class AcpEnv:
    env: dict[str, str]
    cwd: Path
    config: Path  # the config file a run reads and "always allow" writes
    stderr: Path  # where the agent's log goes

    def write_config(self, text: str) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)


@pytest.fixture
def acp_env(isolated_env, vault_clean, llm_server, workspace, tmp_path) -> AcpEnv:  # noqa: F811
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m"}
    return AcpEnv(env, workspace, Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml",
                  tmp_path / "agent-stderr.log")


@dataclass
class RecordingClient:
    """An ACP client that records every update and answers permission requests from a queue of option ids
    ("cancelled" answers as a client does when its turn is cancelled). With `buffers`, it offers fs/* and
    serves those paths' text from memory, as an editor serves unsaved buffers."""

    answers: deque[str] = field(default_factory=deque)
    updates: list[tuple[str, Any]] = field(default_factory=list)
    permission_requests: list[Any] = field(default_factory=list)
    buffers: dict[str, str] | None = None
    writes: list[tuple[str, str]] = field(default_factory=list)
    questions: list[tuple[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def session_update(self, session_id: str, update: Any, **_: Any) -> None:
        self.updates.append((session_id, update))
        self.changed.set()

    async def request_permission(self, session_id: str, tool_call: Any, options: list[Any], **_: Any) -> Any:
        from acp.schema import AllowedOutcome, DeniedOutcome, RequestPermissionResponse

        self.permission_requests.append((tool_call, options))
        self.changed.set()
        choice = self.answers.popleft() if self.answers else "cancelled"
        if choice == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=choice))

    async def read_text_file(self, session_id: str, path: str, **_: Any) -> Any:
        from acp import RequestError
        from acp.schema import ReadTextFileResponse

        if self.buffers is not None and path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        if not Path(path).is_file():
            raise RequestError.resource_not_found(path)
        return ReadTextFileResponse(content=Path(path).read_text())

    async def write_text_file(self, session_id: str, path: str, content: str, **_: Any) -> Any:
        self.writes.append((path, content))
        if self.buffers is not None:
            self.buffers[path] = content
        Path(path).write_text(content)  # an editor saves what the agent wrote
        return None

    async def create_elicitation(self, message: str, mode: Any, **_: Any) -> Any:
        from acp.schema import AcceptElicitationResponse

        self.questions.append((message, mode))
        return AcceptElicitationResponse(action="accept", content={"answer": self.answers.popleft()})

    def kinds(self) -> list[str]:
        return [u.session_update for _, u in self.updates]

    def of(self, kind: str) -> list[Any]:
        return [u for _, u in self.updates if u.session_update == kind]

    async def wait_for(self, predicate, timeout: float = 20.0) -> None:
        """Until predicate() holds: checked on every update, and every 50 ms for what updates don't announce."""
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.05)

        await asyncio.wait_for(loop(), timeout)


@contextlib.asynccontextmanager
async def agent(env: AcpEnv, client: RecordingClient, fs: bool = False, forms: bool = False,
                flags: tuple[str, ...] = ()) -> AsyncIterator[tuple[Any, Any]]:
    """(connection, process) of a fresh `codetether acp`, initialized; its stderr goes to env.stderr. `forms`
    offers elicitation forms (an unstable part of the protocol)."""
    from acp import spawn_agent_process
    from acp.schema import (
        ClientCapabilities,
        ElicitationCapabilities,
        ElicitationFormCapabilities,
        FileSystemCapabilities,
    )

    with open(env.stderr, "ab") as log:
        async with spawn_agent_process(client, *AGENT, *flags, env=env.env, cwd=env.cwd, use_unstable_protocol=forms,
                                       transport_kwargs={"stderr": log.fileno()}) as (conn, proc):
            caps = ClientCapabilities(fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs),
                                      elicitation=ElicitationCapabilities(form=ElicitationFormCapabilities())
                                      if forms else None)
            init = await asyncio.wait_for(conn.initialize(protocol_version=1, client_capabilities=caps), 30)
            assert init.protocol_version == 1
            yield conn, proc


def text_of(updates: list[Any]) -> str:
    return "".join(getattr(u.content, "text", "") for u in updates)
