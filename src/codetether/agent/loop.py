"""The agent loop: ask the model, run the tools it calls, feed results back, until it answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from codetether.agent import events as ev
from codetether.agent.agents import get_agent
from codetether.agent.calls import CheckedCall, CutOff, check_call, shorten
from codetether.agent.compaction import Compactor, LargeOutputHandler, shrink_large_output
from codetether.agent.context import RESULT_CHARS
from codetether.agent.loop_guard import DEFAULT_THRESHOLD, LoopGuard, held_message
from codetether.agent.overflow_recovery import learn_limit
from codetether.agent.repair import INTERRUPTED, unanswered_calls
from codetether.agent.text_calls import salvage_text_calls
from codetether.errors import CodetetherError
from codetether.provider.errors import ContextOverflowError
from codetether.provider.model import (
    CompletionRequest,
    CompletionResponse,
    Message,
    TextDelta,
    ThinkingDelta,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
    Usage,
    Waiting,
)
from codetether.sandbox.policy import READ_ONLY_AGENTS
from codetether.secrets.redact import redact
from codetether.tool.base import ToolContext, ToolError, ToolResult
from codetether.tool.registry import ToolSet


class ToolRouter(Protocol):
    async def normalize(self, response: CompletionResponse, tools: list[ToolDefinition]) -> CompletionResponse: ...


class ChatModel(Protocol):
    async def complete(self, request: CompletionRequest,
                       on_delta: Callable[[TextDelta | ThinkingDelta | Waiting], None] | None = None
                       ) -> CompletionResponse: ...


@dataclass
class AgentSettings:
    model: str  # the name the provider knows, without the provider prefix
    agent: str = "build"
    max_steps: int = 100
    context_window: int = 128_000
    stream: bool = True
    temperature: float | None = None
    max_tokens: int | None = None
    result_chars: int = RESULT_CHARS
    compaction: bool = True  # summarise older turns with the model when the window fills; False: truncate
    # The future RLM hook: async (tool, output) -> summary | None for outputs over 50,000 chars; None: truncate.
    large_output_handler: LargeOutputHandler | None = None
    # The tool-call router (codetether.router.ToolRouter): turns a reply that only describes tool use into calls.
    tool_router: ToolRouter | None = None
    repair_calls: bool = True  # read malformed tool calls where the repair is certain; False: exactly JSON or refused
    doom_loop: int = DEFAULT_THRESHOLD  # identical calls in a row before the guard holds one; 0: off


@dataclass
class AgentResult:
    text: str
    steps: int
    usage: Usage
    exit_reason: ev.ExitReason
    error: str | None = None
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_reason is ev.ExitReason.COMPLETED


class _Finished(Exception):
    """The model answered without calling tools."""


class _Stopped(Exception):
    """The turn cannot usefully go on (the model keeps repeating itself); the message says why."""


MALFORMED_NUDGE = ("[Your last tool call was rejected by the provider as malformed, so nothing ran. Call the tool "
                   "again as a plain function call whose arguments are one JSON object: no code, no namespace "
                   "prefix such as default_api.]")
MAX_MALFORMED = 2  # provider-rejected calls in a row before the turn ends


class Agent:
    """One conversation with one model and one tool set; `run` may be called again to continue it."""

    def __init__(self, model: ChatModel, tools: ToolSet, ctx: ToolContext, settings: AgentSettings, *,
                 messages: list[Message] | None = None, sink: ev.EventSink = ev.discard,
                 on_message: Callable[[Message], None] | None = None,
                 recorded: Callable[[], Awaitable[None]] | None = None):
        """`recorded`: awaited before each model request, until the messages handed to `on_message` are stored
        (a process killed while the model answers then loses nothing it had before)."""
        self.model, self.tools, self.ctx, self.settings = model, tools, ctx, settings
        self.recorded = recorded
        self.messages: list[Message] = list(messages or [])
        self.sink = sink
        self.on_message = on_message
        self.usage = Usage()
        self.compactor = Compactor(settings)  # holds the cached summary of older turns between steps
        self.steps = 0
        self.last_text = ""
        self.guard = LoopGuard(settings.doom_loop)
        self._malformed = 0
        ctx.tools, ctx.switch_agent = tools, self.switch_agent
        self.started_as = settings.agent
        self._tool_sets = {settings.agent: tools}  # switching back restores the set this agent was given

    def switch_agent(self, name: str) -> str:
        """Become another built-in agent from the next call on, its tools offered and enforced; return the old name.

        A run the user started as a read-only agent (plan, explore) never becomes a writing one, whatever a
        resumed session's state says."""
        spec, previous = get_agent(name), self.settings.agent
        if self.started_as in READ_ONLY_AGENTS and spec.name not in READ_ONLY_AGENTS:
            raise ToolError(f"this run was started as the {self.started_as} agent, which stays read-only; "
                            "give the plan as your answer")
        if spec.name not in self._tool_sets:
            tools = self._tool_sets[spec.name] = ToolSet.named(spec.tools, on_demand=self.tools.on_demand)
            tools.load([n for n in self.tools.loaded if n in tools.names])  # what the model loaded stays loaded
        self.tools = self.ctx.tools = self._tool_sets[spec.name]
        self.settings.agent = spec.name
        if self.ctx.sandbox is not None:
            self.ctx.sandbox.switch_agent(spec.name)
        if self.ctx.policy is not None:
            self.ctx.policy.agent = spec.name
            self.ctx.policy.kernel_read_only = self.ctx.sandbox is not None and self.ctx.sandbox.read_only_enforced
        return previous

    async def run(self, user_message: Message | str) -> AgentResult:
        """Run one user turn to completion; provider failures end it with exit_reason 'error'."""
        self.steps, self.last_text, self._malformed = 0, "", 0
        self.guard.threshold = self.settings.doom_loop
        self.guard.reset()
        self.append(Message.text("user", user_message) if isinstance(user_message, str) else user_message)
        exit_reason, error = ev.ExitReason.MAX_STEPS, None
        try:
            while self.steps < self.settings.max_steps:
                await self.step()
        except _Finished:
            exit_reason = ev.ExitReason.COMPLETED
        except _Stopped as stop:
            exit_reason, error = ev.ExitReason.ERROR, str(stop)
            self.sink(ev.AgentError(error, fatal=True))
        except asyncio.CancelledError:
            for call_id in unanswered_calls(self.messages):  # keep the transcript valid for a later resume
                self.append(Message("tool", [ToolResultPart(call_id, INTERRUPTED, is_error=True)]))
            self._finish(ev.ExitReason.CANCELLED)
            raise
        except CodetetherError as exc:
            exit_reason, error = ev.ExitReason.ERROR, redact(exc.render().removeprefix("error: "))
            self.sink(ev.AgentError(error, fatal=True))
        return self._finish(exit_reason, error)

    async def step(self) -> None:
        self.steps += 1
        self.sink(ev.StepStarted(self.steps))
        response = await self.query()
        checked = self.check_calls(response)
        if response.finish_reason == "malformed_call" and not checked:
            return self._malformed_call(response)
        self._malformed = 0
        self.append(_with_calls(response.message, checked))
        text = response.message.text_content
        if text:
            self.last_text = text
            self.sink(ev.TextComplete(text))
        if not checked:
            raise _Finished
        await self.execute_actions(checked)

    async def query(self) -> CompletionResponse:
        tools = self.tools.definitions()
        learned = None
        if self.recorded is not None:
            await self.recorded()
        for retry in (False, True):
            messages, summary_usage = await self.compactor.fit(self.model, self.messages, tools, self.sink)
            self.usage.add(summary_usage)
            if learned:
                self.sink(learned.event(messages))
            request = CompletionRequest(self.settings.model, messages, tools,
                                        self.settings.temperature, self.settings.max_tokens, self.settings.stream)
            try:
                response = await self.model.complete(request, self._on_delta)
                break
            except ContextOverflowError as exc:
                if retry:
                    raise
                # Learn the window the provider states, then compact (or trim) to it and try once more.
                learned = learn_limit(self.settings, exc, messages, tools)
        if self.settings.tool_router is not None:
            response = await self.settings.tool_router.normalize(response, tools)
        if self.settings.repair_calls and not response.message.tool_calls and tools:
            response = salvage_text_calls(response)
        self.usage.add(response.usage)
        self.sink(ev.UsageUpdated(self.steps, response.usage, self.usage))
        return response

    def check_calls(self, response: CompletionResponse) -> list[CheckedCall]:
        """Every call read, repaired where certain, or refused; the last one of a cut-off reply must be whole."""
        calls = response.message.tool_calls
        cut = None
        if response.finish_reason == "length":
            cut = CutOff("your reply hit the output limit (finish_reason \"length\")",
                         self.settings.max_tokens or response.usage.completion_tokens or None)
        checked = []
        for i, call in enumerate(calls):
            one = check_call(call, self.tools, agent=self.settings.agent, repair=self.settings.repair_calls,
                             cut_off=cut if i == len(calls) - 1 else None, known_repairs=response.repairs.get(call.id))
            if one.runnable and one.repairs:
                self.sink(ev.ToolCallRepaired(call.id, one.call.name, call.name, one.repairs,
                                              redact(call.arguments), redact(one.call.arguments)))
            checked.append(one)
        return checked

    def _malformed_call(self, response: CompletionResponse) -> None:
        """The provider threw the model's call away (Gemini's MALFORMED_FUNCTION_CALL): say so and let it retry."""
        self._malformed += 1
        if self._malformed > MAX_MALFORMED:
            raise CodetetherError(f"the provider rejected the model's tool call as malformed {self._malformed} "
                                  "times in a row", "Try again, or pick another model with --model.")
        if response.message.text_content.strip():
            self.append(response.message)
        self.append(Message.text("user", MALFORMED_NUDGE))

    def _on_delta(self, delta: TextDelta | ThinkingDelta | Waiting) -> None:
        if isinstance(delta, Waiting):
            self.sink(ev.Notice(f"waiting {delta.seconds:.0f} s before retrying ({delta.reason})", kind="info"))
        else:
            self.sink(ev.TextChunk(delta.text) if isinstance(delta, TextDelta) else ev.ThinkingChunk(delta.text))

    async def execute_actions(self, calls: list[CheckedCall]) -> None:
        """Run calls in order; neighbouring read-only calls run concurrently. Held or refused calls get a result."""
        held: list[str | None] = []
        stopped = None
        for call in calls:
            verdict = await self._loop_verdict(call) if stopped is None else _STOP
            stopped = stopped or (call if verdict is _STOP else None)
            held.append(verdict if verdict is not _STOP else f"{call.call.name} was not run: the turn was stopped")
        batch: list[tuple[CheckedCall, str | None]] = []
        for call, note in zip(calls, held):
            if note is None and call.runnable and call.tool is not None and call.tool.read_only:
                batch.append((call, note))
                continue
            await self._run_batch(batch)
            batch = []
            await self._run_batch([(call, note)])
        await self._run_batch(batch)
        if stopped is not None:
            raise _Stopped(f"stopped: the model kept repeating {stopped.call.name} with the same arguments "
                           f"({self.guard.threshold}+ identical calls in a row; doom-loop guard session.doom_loop)")

    async def _loop_verdict(self, call: CheckedCall) -> str | object | None:
        """None: run it; a message: the guard holds it; _STOP: end the turn."""
        arguments = call.arguments if call.runnable else call.original.arguments
        approver = self.ctx.policy.approver if self.ctx.policy is not None else None
        verdict = self.guard.check(call.call.name, arguments, self.steps, can_ask=call.runnable and bool(approver))
        if verdict.action == "run":
            return None
        shown = shorten(redact(call.call.arguments), 160)
        if verdict.action == "stop":
            self.sink(ev.LoopDetected(call.call.name, shown, verdict.count, "stopped"))
            return _STOP
        if verdict.action == "ask" and approver is not None:
            from codetether.tool.support.permission import ApprovalRequest

            self.sink(ev.LoopDetected(call.call.name, shown, verdict.count, "asked"))
            subject = (f"{call.call.name} {shown} again: call {verdict.count} in a row with exactly the same "
                       "arguments (the model may be stuck in a loop)")
            rule = f"doom-loop guard: session.doom_loop = {self.guard.threshold}"
            if await approver(ApprovalRequest(call.call.name, subject, rule)):
                self.guard.approved()
                self.sink(ev.LoopDetected(call.call.name, shown, verdict.count, "approved"))
                return None
        self.sink(ev.LoopDetected(call.call.name, shown, verdict.count, "refused"))
        if not call.runnable:
            return None  # it is refused anyway, with its own reason
        return held_message(call.call.name, shown, verdict.count, self.guard.threshold)

    async def _run_batch(self, batch: list[tuple[CheckedCall, str | None]]) -> None:
        results = await asyncio.gather(*(self.execute(c, note) for c, note in batch))
        for part in results:
            self.append(Message("tool", [part]))

    async def execute(self, call: CheckedCall, held: str | None = None) -> ToolResultPart:
        part = call.call
        self.sink(ev.ToolCallStarted(part.id, part.name, redact(part.arguments if call.runnable
                                                                 else call.original.arguments)))
        started = time.monotonic()
        result = await self._invoke(call, held)
        output = await shrink_large_output(part.name, redact(result.output), self.settings.large_output_handler,
                                           self.settings.result_chars,
                                           "Narrow the request (offset/limit, a tighter pattern) to see the rest.")
        self.sink(ev.ToolCallCompleted(part.id, part.name, result.success,
                                       int((time.monotonic() - started) * 1000), output, result.metadata))
        return ToolResultPart(part.id, output, is_error=not result.success)

    async def _invoke(self, call: CheckedCall, held: str | None) -> ToolResult:
        if held is not None:
            return ToolResult(held, success=False, metadata={"held": "doom_loop"})
        if call.refusal is not None:
            if call.reason == "not_available":  # recorded like any permission refusal
                return ToolResult(call.refusal, success=False, metadata={"refused": True, "reason": call.refusal})
            return ToolResult(call.refusal, success=False, metadata={"rejected": call.reason})
        assert call.tool is not None and call.arguments is not None
        return await call.tool.execute(call.arguments, self.ctx)

    def append(self, message: Message) -> None:
        self.messages.append(message)
        if self.on_message:
            self.on_message(message)

    def _finish(self, exit_reason: ev.ExitReason, error: str | None = None) -> AgentResult:
        result = AgentResult(self.last_text, self.steps, self.usage, exit_reason, error, self.messages)
        self.sink(ev.RunCompleted(result.text, result.steps, result.usage, exit_reason))
        return result


_STOP = object()


def _with_calls(message: Message, checked: list[CheckedCall]) -> Message:
    """The assistant message as the transcript keeps it: each call under our tool's name, arguments as run."""
    if not checked:
        return message
    by_id = {id(c.original): c.call for c in checked}
    return Message(message.role, [by_id.get(id(p), p) if isinstance(p, ToolCallPart) else p for p in message.parts])
