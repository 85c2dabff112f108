"""An agent bound to a persisted session: each `turn()` is one recorded user turn. Shared by every front end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.assembly import Wiring
from codetether.agent.factory import PreparedAgent, prepare_agent
from codetether.agent.kit import AgentKit
from codetether.agent.loop import AgentResult
from codetether.agent.repair import pair_tool_calls
from codetether.config.load import Config
from codetether.config.paths import data_dir
from codetether.errors import CodetetherError
from codetether.gitinfo import Project, current_branch, project_for
from codetether.provider.model import ImagePart, Message, TextPart, Usage
from codetether.provider.pricing import cost_usd
from codetether.session.binding import StoredSession, TurnRelay
from codetether.session.lock import lock_path, session_turn
from codetether.session.recorder import CONTEXT_WINDOW_STATE, TurnRecorder
from codetether.session.recording import START_STATE, record_start, start_state
from codetether.session.store import SessionInfo, SessionStore, new_session_id
from codetether.session.undo import snapshot_hook
from codetether.tool.base import AskUser, Tool
from codetether.tool.support.files import Files
from codetether.tool.support.permission import Approvals

CONTINUE_LATEST = "latest"


@dataclass
class SessionRun:
    store: SessionStore
    prepared: PreparedAgent
    project: Project
    info: SessionInfo | None  # created lazily, so a run that fails to start leaves no empty session
    sink: ev.EventSink
    _turns: int = 0
    _seen: int | None = None  # the session's message count when this run last read or wrote it
    owns_store: bool = True  # False: the store belongs to an AgentKit (serve, the worker) and outlives this run
    relay: TurnRelay | None = None  # where the agent reports: the front end's sink and the turn's recorder
    binding: StoredSession | None = None  # the session the agent's tools see
    _new: bool = False  # created by this run: its starting commit is recorded before its first turn (replay)
    _ending: asyncio.Future[None] | None = None  # the last turn's end being recorded
    state: dict[str, Any] = field(default_factory=dict)  # what a session this run creates starts with

    @classmethod
    async def open(cls, config: Config, *, cwd: Path, model_id: str | None, agent_name: str | None,
                   session_ref: str | None = None, sink: ev.EventSink = ev.discard, max_steps: int | None = None,
                   stream: bool = True, store: SessionStore | None = None,
                   approvals: Approvals | None = None, kit: AgentKit | None = None,
                   ask_user: AskUser | None = None, files: Files | None = None,
                   without_tools: frozenset[str] = frozenset(), tool_names: Sequence[str] | None = None,
                   extra_tools: Sequence[Tool] = (), state: dict[str, Any] | None = None) -> SessionRun:
        """Start a new session, or resume one: session_ref is 'latest' (this project's newest) or an id.
        With a `kit`, the store, the provider and project facts are the process's shared ones; `ask_user` is
        the question tool's way to the user, `files` the editor's buffers (ACP); `tool_names` and `extra_tools`
        choose its tools (prepare_agent); `state`, what a session this run creates starts with (A2A: its context)."""
        owns_store = store is None and kit is None
        store = store or (kit.store if kit is not None else SessionStore())
        # Finding a session to resume needs the project first; a new one lets git run beside the Vault fetch.
        if session_ref:
            project = await (kit.project(cwd) if kit is not None else asyncio.to_thread(project_for, cwd))
        else:
            project = None
        info = _find(store, project, session_ref) if project else None
        history = store.messages(info.id, skip_undone=True) if info else []
        relay, binding = TurnRelay(sink), StoredSession(store, info.id if info else "")
        wiring = Wiring(sink=relay.event, on_message=relay.message, recorded=relay.recorded,
                        on_file_change=relay.before_write,
                        session=binding, approvals=approvals or Approvals(), ask_user=ask_user, files=files)
        same_model = info is not None and (model_id or info.model) == info.model
        learned = store.get_state(info.id, CONTEXT_WINDOW_STATE) if info and same_model else None
        prepared = await prepare_agent(config, model_id=model_id or (info.model if info else None),
                                       agent_name=agent_name or (info.agent if info else "build"), cwd=cwd,
                                       max_steps=max_steps, stream=stream, project=project, kit=kit, wiring=wiring,
                                       without_tools=without_tools, tool_names=tool_names, extra_tools=extra_tools,
                                       context_window=learned if isinstance(learned, int) else None,
                                       history=pair_tool_calls([m for m in history if m.role != "system"]))
        if info and agent_name is None and (store.get_state(info.id, "plan") or {}).get("active"):
            prepared.agent.switch_agent("plan")  # plan_enter's mode lasts until plan_exit, across resumes
        _reload_schemas(prepared, history)
        run = cls(store, prepared, prepared.project, info, sink, owns_store=owns_store, relay=relay, binding=binding,
                  state=dict(state or {}))
        run._seen = store.message_count(info.id) if info else None
        return run

    @property
    def session_id(self) -> str | None:
        return self.info.id if self.info else None

    def ensure_recorded(self, title: str = "") -> SessionInfo:
        """Create the stored session now, for front ends that name it before the first turn (ACP)."""
        if self.info is None:
            self._started(self.store.create(str(self.project.root), self.project.id, self.prepared.resolved.id,
                                            self.prepared.agent_name, title=title))
            self._new = True
        assert self.info is not None
        return self.info

    async def turn(self, message: str, images: list[ImagePart] | None = None) -> AgentResult:
        """One recorded user turn; images go with the message to providers that take them (refused otherwise)."""
        if images:
            from codetether.images import check_provider_takes_images

            check_provider_takes_images(self.prepared.resolved.provider, self.prepared.resolved.id)
        title = message.strip().splitlines()[0][:80] if message.strip() else "(image)"
        if self.info is None:
            return await self._first_turn(message, images, title)
        if not self.info.title:
            await asyncio.to_thread(self.store.set_title, self.info.id, title)
            self.info.title = title
        if self._new:  # created before its first turn (ACP); before anything changes the workspace
            self._new = False
            await asyncio.to_thread(record_start, self.store, self.info.id, self.project, self._access_mode())
        async with session_turn(lock_path(data_dir(), self.info.id), self._waiting):
            await asyncio.to_thread(self._catch_up)
            # The branch was read when the run opened; later turns (chat) look again, it may have changed.
            branch = self.project.branch if self._turns == 0 else await asyncio.to_thread(current_branch, self.project.root)
            number = await self.store.abegin_turn(self.info.id, self.prepared.resolved.id,
                                                  self.prepared.agent.settings.agent, branch)
            return await self._run(number, message, images)

    async def _first_turn(self, message: str, images: list[ImagePart] | None, title: str) -> AgentResult:
        """A new session: its record, where it starts from (`sessions replay`), its first turn and the state it
        was opened with are committed together, under its lock from the start (no other process gets in between)."""
        session_id = new_session_id()
        async with session_turn(lock_path(data_dir(), session_id), self._waiting):
            state = {START_STATE: start_state(self.project, self._access_mode()), **self.state}
            start = asyncio.ensure_future(self.store.start(session_id, str(self.project.root), self.project.id,
                                                           self.prepared.resolved.id,
                                                           self.prepared.agent.settings.agent, title,
                                                           self.project.branch, state))
            try:
                self._started(await asyncio.shield(start))
            except asyncio.CancelledError:  # the write goes on: its turn 1 must not stay open for ever
                with contextlib.suppress(Exception):  # refused: there is no session to end a turn in
                    self._started(await start)
                    await self._ended(1, Usage(), ev.ExitReason.CANCELLED)
                raise
            return await self._run(1, message, images)

    def _started(self, info: SessionInfo) -> None:
        self.info, self._seen = info, 0
        if self.binding is not None:
            self.binding.id = info.id  # the agent's tools keep their state here from now on

    def _access_mode(self) -> str | None:
        sandbox = self.prepared.agent.ctx.sandbox
        return sandbox.access_mode if sandbox is not None else None

    def _waiting(self, holder: str) -> None:
        self.sink(ev.Notice(f"session {self.info.id[:8] if self.info else ''} is in use by {holder}; "
                            "this turn starts when that one ends", kind="info"))

    async def _run(self, number: int, message: str, images: list[ImagePart] | None) -> AgentResult:
        """Turn `number`, taken: the agent answers, its messages and tool calls recorded as they come."""
        agent = self.prepared.agent
        assert self.info is not None and self.relay is not None
        self._turns += 1
        self.relay.recorder = TurnRecorder(self.store, self.info.id, number)
        self.relay.snapshot = snapshot_hook(self.store, self.info.id, number, agent.ctx.root)  # `sessions undo`
        self.sink(ev.RunStarted(self.info.id, self.prepared.resolved.id, agent.settings.agent))
        try:
            result = await agent.run(Message("user", [TextPart(message), *images]) if images else message)
        except asyncio.CancelledError:
            await self._ended(number, agent.usage, ev.ExitReason.CANCELLED)
            raise
        finally:
            self.relay.recorder = self.relay.snapshot = None
        await self._ended(number, result.usage, result.exit_reason)
        return result

    async def _ended(self, number: int, usage: Usage, exit_reason: str) -> None:
        """The turn's end is recorded even if the turn is cancelled meanwhile; aclose waits for it before it
        closes the store."""
        self._ending = asyncio.ensure_future(self._end(number, usage, exit_reason))
        await asyncio.shield(self._ending)

    async def _end(self, number: int, usage: Usage, exit_reason: str) -> None:
        assert self.info is not None
        cost = cost_usd(self.prepared.resolved.model, usage)
        self._seen = await self.store.aend_turn(self.info.id, number, usage.prompt_tokens, usage.completion_tokens,
                                                cost, exit_reason)

    def _catch_up(self) -> None:
        """Another process took turns in this session since we last did (a `run -c` beside the TUI): carry on
        from what it left, not from our older copy of the conversation."""
        assert self.info is not None
        count = self.store.message_count(self.info.id)
        if self._seen is not None and count != self._seen:
            agent = self.prepared.agent
            history = self.store.messages(self.info.id, skip_undone=True)
            agent.messages[1:] = pair_tool_calls([m for m in history if m.role != "system"])
        self._seen = count

    async def aclose(self, *, wait_for_runs: bool = False) -> None:
        """End the session: its background tasks stop; its Ralph runs are waited for (`wait_for_runs`, a
        one-shot run that started one) or stopped."""
        import sys

        if self._ending is not None:
            await asyncio.wait([self._ending])
        task_tool = sys.modules.get("codetether.tool.task")  # loaded only if this process could start a task
        if self.info is not None and task_tool is not None:
            await task_tool.stop_tasks(self.info.id)  # background tasks end with their session
        ralph_tool = sys.modules.get("codetether.tool.ralph_tool")
        if ralph_tool is not None:
            await ralph_tool.finish_runs(self.prepared.agent.ctx.session_id, wait=wait_for_runs)
        await self.prepared.aclose()
        if self.owns_store:
            await asyncio.to_thread(self.store.close)
        elif self._ending is None:
            await self.store.aflush()  # this run's writes are in before it says it is done
        else:  # they are: its last turn's end, awaited above, was committed after everything the run queued
            self.store.raise_refused()


def _reload_schemas(prepared: PreparedAgent, history: list) -> None:
    """Rare tools the conversation loaded earlier keep their schemas on resume."""
    if not history or not prepared.agent.tools.deferred:
        return
    from codetether.tool.tool_load import loaded_in

    tools = prepared.agent.tools
    known = set(tools.names)
    tools.load([name for name in loaded_in(history) if name in known])


def _find(store: SessionStore, project: Project, ref: str | None) -> SessionInfo | None:
    if ref is None:
        return None
    if ref == CONTINUE_LATEST:
        info = store.latest_for_project(project.ids)
        if info is None:
            raise CodetetherError(f"there is no earlier session for {project.root} to continue",
                                  "Run without --continue to start one.")
        return info
    return store.get(store.resolve_id(ref))
