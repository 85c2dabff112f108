"""One ACP session: a SessionRun (the one agent loop) whose events stream to the client as `session/update`s."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp.schema import ConfigOptionUpdate, CurrentModeUpdate, PromptResponse, Usage

from codetether.acp.content import prompt_message
from codetether.acp.errors import INTERNAL, error, from_codetether, invalid_params
from codetether.acp.files import ClientFiles, RecordingFiles
from codetether.acp.modes import MODES, config_options
from codetether.acp.permissions import Approver
from codetether.acp.translate import EventTranslator, TurnView, usage_update
from codetether.acp.updates import UpdateStream
from codetether.agent import events as ev
from codetether.config.load import Config
from codetether.config.permission import PermissionRules
from codetether.errors import CodetetherError
from codetether.provider.pricing import cost_usd
from codetether.session.turn import SessionRun
from codetether.tool.support.permission import Approvals

STOP_REASONS = {ev.ExitReason.COMPLETED: "end_turn", ev.ExitReason.MAX_STEPS: "max_turn_requests",
                ev.ExitReason.CANCELLED: "cancelled"}


@dataclass
class Client:
    """What the connected client offers, and where the process keeps its settings."""

    conn: Any
    fs_read: bool
    fs_write: bool
    forms: bool  # elicitation forms: the question tool asks through them
    assume_yes: bool  # --yes / --yolo: "ask" rules are approved without asking
    config_path: Path
    on_rules: Callable[[PermissionRules], None]  # an "always" rule was written: every session follows it


class AcpSession:
    """One editor session: its SessionRun, the turn running in it, and the stream of its updates."""

    def __init__(self, client: Client, config: Config, cwd: Path, models: list[str]):
        self.client, self.config, self.cwd, self.models = client, config, cwd, models
        self.id = ""
        self.run: SessionRun | None = None
        self.turn_task: asyncio.Task[Any] | None = None
        self.stream = UpdateStream(self._send)
        self.files = RecordingFiles(ClientFiles(client.conn, lambda: self.id, client.fs_read, client.fs_write,
                                                lambda: self.run.project.root if self.run else self.cwd))
        self.translator = EventTranslator(self.stream.push, TurnView(cwd, self._will_ask, self.files.take,
                                                                      self._usage, self._after_tool))
        self._cost_before = 0.0
        self._shown_mode = ""

    # --- lifecycle -------------------------------------------------------------------------------------------
    async def open(self, *, session_ref: str | None = None, model_id: str | None = None,
                   agent_name: str | None = "build") -> None:
        """Open (or reopen, e.g. with another model) the SessionRun; the stored session exists from here on."""
        approver = Approver(self.client.conn, lambda: self.id, self.stream.flush, self._policy,
                            self.client.config_path, self.client.on_rules)
        run = await SessionRun.open(self.config, cwd=self.cwd, model_id=model_id, agent_name=agent_name,
                                    session_ref=session_ref, sink=self.translator,
                                    approvals=Approvals(self.client.assume_yes, approver), files=self.files,
                                    ask_user=self._asker())
        old, self.run = self.run, run
        self.id = run.ensure_recorded().id
        self._shown_mode = self.mode
        if old is not None:
            await old.aclose()

    def _asker(self) -> Any:
        """The question tool asks through an elicitation form when the editor offers forms (else the model decides)."""
        if not self.client.forms:
            return None
        from codetether.acp.question import asker

        return asker(self.client.conn, lambda: self.id)

    async def close(self, forget_empty: bool = True) -> None:
        """Stop the turn and close the run; a session never prompted is deleted unless `forget_empty` is off."""
        self.cancel()
        if self.turn_task is not None:
            await asyncio.wait([self.turn_task])
        await self.stream.aclose()
        run, self.run = self.run, None
        if run is None:
            return
        if forget_empty and run.info is not None and run.store.get(run.info.id).turn_count == 0:
            run.store.delete(run.info.id)  # opened and never prompted: leave no empty session behind
        await run.aclose()

    @property
    def busy(self) -> bool:
        return self.turn_task is not None and not self.turn_task.done()

    @property
    def mode(self) -> str:
        return self.run.prepared.agent.settings.agent if self.run else "build"

    @property
    def model(self) -> str:
        return self.run.prepared.resolved.id if self.run else ""

    def options(self) -> list[Any]:
        return config_options(self.mode, self.model, self.models)

    # --- turns -----------------------------------------------------------------------------------------------
    async def prompt(self, blocks: list[Any]) -> PromptResponse:
        assert self.run is not None
        if self.busy:
            raise invalid_params("a prompt is already running in this session; wait for it or send session/cancel")
        text, images = prompt_message(blocks)
        self.stream.release()
        self._cost_before = self.run.store.get(self.id).cost_usd
        task = self.turn_task = asyncio.create_task(self.run.turn(text, images), name=f"acp-turn-{self.id[:8]}")
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:  # the connection is closing: the turn goes with it
            task.cancel()
            raise
        await self.stream.flush()
        if task.cancelled():
            return PromptResponse(stop_reason="cancelled")
        if isinstance(task.exception(), CodetetherError):
            raise from_codetether(task.exception()) from None  # type: ignore[arg-type]
        result = task.result()
        if result.exit_reason is ev.ExitReason.ERROR:
            raise error(INTERNAL, result.error or "the turn failed")
        usage = result.usage
        return PromptResponse(stop_reason=STOP_REASONS.get(result.exit_reason, "end_turn"), usage=Usage(
            total_tokens=usage.total_tokens, input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens,
            cached_read_tokens=usage.cache_read_tokens or None, cached_write_tokens=usage.cache_write_tokens or None))

    def cancel(self) -> None:
        if self.busy:
            assert self.turn_task is not None
            self.turn_task.cancel()  # the loop keeps the transcript valid; bash kills its process group

    # --- mode and model --------------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise invalid_params(f"unknown mode '{mode}'; choose one of: {', '.join(MODES)}")
        assert self.run is not None
        self.run.prepared.agent.switch_agent(mode)  # from the next model call on, even mid-turn
        self._mode_changed()

    async def set_model(self, model_id: str) -> None:
        if model_id == self.model:
            return
        if self.busy:
            raise invalid_params("the model can change between turns; wait for this one or send session/cancel")
        await self.open(session_ref=self.id, model_id=model_id, agent_name=self.mode)
        self.stream.push(ConfigOptionUpdate(session_update="config_option_update", config_options=self.options()))

    def _mode_changed(self) -> None:
        if self.mode == self._shown_mode:
            return
        self._shown_mode = self.mode
        self.stream.push(CurrentModeUpdate(session_update="current_mode_update", current_mode_id=self.mode))
        self.stream.push(ConfigOptionUpdate(session_update="config_option_update", config_options=self.options()))

    # --- hooks the translator and approver call ----------------------------------------------------------------
    async def _send(self, update: Any) -> None:
        await self.client.conn.session_update(session_id=self.id, update=update)

    def _policy(self) -> Any:
        return self.run.prepared.agent.ctx.policy if self.run else None

    def _will_ask(self, name: str, args: dict[str, Any]) -> bool:
        policy, agent = self._policy(), self.run.prepared.agent if self.run else None
        tool = agent.tools.get(name) if agent else None
        if policy is None or tool is None or policy.assume_yes:
            return False
        try:
            return policy.decide(name, tool.read_only, args).action == "ask"
        except Exception:  # a malformed call: the tool will say what is wrong
            return False

    def _usage(self, event: ev.UsageUpdated) -> Any:
        if self.run is None:
            return None
        prepared = self.run.prepared
        cost = self._cost_before + cost_usd(prepared.resolved.model, event.total)
        return usage_update(event.usage.prompt_tokens + event.usage.completion_tokens,
                            prepared.agent.settings.context_window, cost)

    def _after_tool(self, name: str) -> None:
        if name in ("plan_enter", "plan_exit"):
            self._mode_changed()
