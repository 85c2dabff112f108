"""The agent loop: ask the model, run the tools it calls, feed results back, until it answers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from codetether.agent import events as ev
from codetether.agent.agents import get_agent
from codetether.agent.compaction import Compactor, LargeOutputHandler, shrink_large_output
from codetether.agent.context import RESULT_CHARS
from codetether.agent.repair import INTERRUPTED, unanswered_calls
from codetether.errors import CodetetherError
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
)
from codetether.secrets.redact import redact
from codetether.tool.base import ToolContext, ToolResult
from codetether.tool.registry import CORE_TOOLS, ToolSet


class ToolRouter(Protocol):
    async def normalize(self, response: CompletionResponse, tools: list[ToolDefinition]) -> CompletionResponse: ...


class ChatModel(Protocol):
    async def complete(self, request: CompletionRequest,
                       on_delta: Callable[[TextDelta | ThinkingDelta], None] | None = None) -> CompletionResponse: ...


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


@dataclass
class AgentResult:
    text: str
    steps: int
    usage: Usage
    exit_reason: str  # completed | max_steps | cancelled | error
    error: str | None = None
    messages: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_reason == "completed"


class _Finished(Exception):
    """The model answered without calling tools."""


class Agent:
    """One conversation with one model and one tool set; `run` may be called again to continue it."""

    def __init__(self, model: ChatModel, tools: ToolSet, ctx: ToolContext, settings: AgentSettings, *,
                 messages: list[Message] | None = None, sink: ev.EventSink = ev.discard,
                 on_message: Callable[[Message], None] | None = None):
        self.model, self.tools, self.ctx, self.settings = model, tools, ctx, settings
        self.messages: list[Message] = list(messages or [])
        self.sink = sink
        self.on_message = on_message
        self.usage = Usage()
        self.compactor = Compactor(settings)  # holds the cached summary of older turns between steps
        self.steps = 0
        self.last_text = ""
        ctx.tools, ctx.switch_agent = tools, self.switch_agent
        self._tool_sets = {settings.agent: tools}  # switching back restores the set this agent was given

    def switch_agent(self, name: str) -> str:
        """Become another built-in agent from the next call on, its tools offered and enforced; return the old name."""
        spec, previous = get_agent(name), self.settings.agent
        if spec.name not in self._tool_sets:
            tools = self._tool_sets[spec.name] = ToolSet.named(spec.tools, on_demand=self.tools.on_demand)
            tools.load([n for n in self.tools.loaded if n in tools.names])  # what the model loaded stays loaded
        self.tools = self.ctx.tools = self._tool_sets[spec.name]
        self.settings.agent = spec.name
        if self.ctx.policy is not None:
            self.ctx.policy.agent = spec.name
        return previous

    async def run(self, user_message: Message | str) -> AgentResult:
        """Run one user turn to completion; provider failures end it with exit_reason 'error'."""
        self.steps, self.last_text = 0, ""
        self.append(Message.text("user", user_message) if isinstance(user_message, str) else user_message)
        exit_reason, error = "max_steps", None
        try:
            while self.steps < self.settings.max_steps:
                await self.step()
        except _Finished:
            exit_reason = "completed"
        except asyncio.CancelledError:
            for call_id in unanswered_calls(self.messages):  # keep the transcript valid for a later resume
                self.append(Message("tool", [ToolResultPart(call_id, INTERRUPTED, is_error=True)]))
            self._finish("cancelled")
            raise
        except CodetetherError as exc:
            exit_reason, error = "error", redact(exc.render().removeprefix("error: "))
            self.sink(ev.AgentError(error, fatal=True))
        return self._finish(exit_reason, error)

    async def step(self) -> None:
        self.steps += 1
        self.sink(ev.StepStarted(self.steps))
        response = await self.query()
        self.append(response.message)
        text = response.message.text_content
        if text:
            self.last_text = text
            self.sink(ev.TextComplete(text))
        calls = response.message.tool_calls
        if not calls:
            raise _Finished
        await self.execute_actions(calls)

    async def query(self) -> CompletionResponse:
        tools = self.tools.definitions()
        messages, summary_usage = await self.compactor.fit(self.model, self.messages, tools, self.sink)
        self.usage.add(summary_usage)
        request = CompletionRequest(self.settings.model, messages, tools,
                                    self.settings.temperature, self.settings.max_tokens, self.settings.stream)
        response = await self.model.complete(request, self._on_delta)
        if self.settings.tool_router is not None:
            response = await self.settings.tool_router.normalize(response, tools)
        self.usage.add(response.usage)
        self.sink(ev.UsageUpdated(self.steps, response.usage, self.usage))
        return response

    def _on_delta(self, delta: TextDelta | ThinkingDelta) -> None:
        self.sink(ev.TextChunk(delta.text) if isinstance(delta, TextDelta) else ev.ThinkingChunk(delta.text))

    async def execute_actions(self, calls: list[ToolCallPart]) -> None:
        """Run calls in order; neighbouring read-only calls run concurrently."""
        batch: list[ToolCallPart] = []
        for call in calls:
            tool = self.tools.get(call.name)
            if tool is not None and tool.read_only:
                batch.append(call)
                continue
            await self._run_batch(batch)
            batch = []
            await self._run_batch([call])
        await self._run_batch(batch)

    async def _run_batch(self, batch: list[ToolCallPart]) -> None:
        results = await asyncio.gather(*(self.execute(c) for c in batch))
        for part in results:
            self.append(Message("tool", [part]))

    async def execute(self, call: ToolCallPart) -> ToolResultPart:
        self.sink(ev.ToolCallStarted(call.id, call.name, redact(call.arguments)))
        started = time.monotonic()
        result = await self._invoke(call)
        output = await shrink_large_output(call.name, redact(result.output), self.settings.large_output_handler,
                                           self.settings.result_chars,
                                           "Narrow the request (offset/limit, a tighter pattern) to see the rest.")
        self.sink(ev.ToolCallCompleted(call.id, call.name, result.success,
                                       int((time.monotonic() - started) * 1000), output, result.metadata))
        return ToolResultPart(call.id, output, is_error=not result.success)

    async def _invoke(self, call: ToolCallPart) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None and call.name in CORE_TOOLS:
            reason = f"tool '{call.name}' is not available to the {self.settings.agent} agent"
            return ToolResult(f"{reason}; use one of: {', '.join(self.tools.names) or 'none'}", success=False,
                              metadata={"refused": True, "reason": reason})  # recorded like any refusal
        if tool is None:
            return ToolResult(f"unknown tool '{call.name}'. Available tools: {', '.join(self.tools.names) or 'none'}",
                              success=False)
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError as exc:
            return ToolResult(f"the arguments for {call.name} are not valid JSON ({exc.msg} at char {exc.pos}); "
                              "resend the call with a complete JSON object", success=False)
        if not isinstance(arguments, dict):
            return ToolResult(f"the arguments for {call.name} must be a JSON object", success=False)
        return await tool.execute(arguments, self.ctx)

    def append(self, message: Message) -> None:
        self.messages.append(message)
        if self.on_message:
            self.on_message(message)

    def _finish(self, exit_reason: str, error: str | None = None) -> AgentResult:
        result = AgentResult(self.last_text, self.steps, self.usage, exit_reason, error, self.messages)
        self.sink(ev.RunCompleted(result.text, result.steps, result.usage, exit_reason))
        return result
