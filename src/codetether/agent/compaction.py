"""Keep each request inside the window by letting the model summarise older turns; the transcript is never cut."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codetether.agent import events as ev
from codetether.agent.context import (
    estimate_tokens,
    fit_to_window,
    message_tokens,
    target_tokens,
    tools_tokens,
    total_tokens,
    truncate_text,
)
from codetether.errors import CodetetherError
from codetether.provider.model import (
    CompletionRequest,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
    Usage,
)
from codetether.secrets.redact import redact

if TYPE_CHECKING:
    from codetether.agent.loop import Agent, AgentSettings, ChatModel

RLM_THRESHOLD_CHARS = 50_000  # the seed hands outputs this large to RLM instead of plain truncation
SUMMARY_SYSTEM = "You condense a coding agent's conversation so the agent can continue from your summary alone."
SUMMARY_PROMPT = ("Summarise this conversation so far for continuation: goals, decisions, files touched, "
                  "current state, next steps. Keep exact paths, names, commands and error messages. "
                  "Reply with the summary only, in at most {words} words.")
SUMMARY_HEADER = "[Conversation summary of {n} earlier messages]\n"
OUTPUT_CHARS_FOR_SUMMARY = 2_000  # each tool output as the summariser sees it
RETRY_AFTER_MESSAGES = 20  # after a failed summary call, truncate until the transcript has grown this much

# Async (tool_name, output) -> summary or None; the hook the RLM feature will fill for outputs over 50,000 chars.
LargeOutputHandler = Callable[[str, str], Awaitable[str | None]]


async def shrink_large_output(tool_name: str, output: str, handler: LargeOutputHandler | None, max_chars: int,
                              hint: str = "") -> str:
    """Outputs over 50,000 chars go to `handler` when set; without one, or if it declines or fails, they are cut."""
    if handler is not None and len(output) > RLM_THRESHOLD_CHARS:
        try:
            summary = await handler(tool_name, output)
        except Exception:  # a broken hook must not cost the tool result; truncation still shows most of it
            summary = None
        if summary:
            summary = truncate_text(redact(summary), max_chars * 2)
            return f"[RLM summary of {tool_name} output ({len(output)} chars → {len(summary)} chars)]\n\n{summary}"
    return truncate_text(output, max_chars, hint)


def cut_middle(text: str, max_chars: int) -> str:
    """Keep the start and the end (where errors and results tend to be) and say how much was left out."""
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - 48)
    head = keep * 2 // 3
    return f"{text[:head]}\n[... {len(text) - keep} chars omitted ...]\n{text[len(text) - (keep - head):]}"


def render_transcript(messages: list[Message], output_chars: int = OUTPUT_CHARS_FOR_SUMMARY) -> str:
    """Plain text, because tool calls without tool definitions are refused by some providers."""
    lines = []
    for message in messages:
        role = message.role.upper()
        for part in message.parts:  # thinking is left out: long, private, and not needed to continue
            if isinstance(part, TextPart) and part.text.strip():
                lines.append(f"{role}: {cut_middle(part.text, output_chars * 2)}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"ASSISTANT called {part.name}({cut_middle(part.arguments, 500)})")
            elif isinstance(part, ToolResultPart):
                error = " (error)" if part.is_error else ""
                lines.append(f"TOOL RESULT{error}: {cut_middle(part.content, output_chars)}")
            elif isinstance(part, ImagePart):
                lines.append(f"{role}: [image]")
    return "\n\n".join(lines)


def summary_request(model: str, task: str, previous: str | None, segment: list[Message], window: int,
                    words: int, temperature: float | None = None) -> CompletionRequest:
    """A tool-less, non-streaming request that itself fits the window."""
    prompt = SUMMARY_PROMPT.format(words=words)
    body = [f"The original request (kept verbatim, no need to repeat it):\n{cut_middle(task, 1_500)}"]
    if previous:
        body.append(f"Summary of the conversation before this part:\n{previous}")
    body.append(render_transcript(segment))
    room = int((target_tokens(window) - estimate_tokens(SUMMARY_SYSTEM + prompt) - 64) * 3.5)
    conversation = cut_middle("\n\n".join(body), room)
    text = f"{prompt}\n\n<conversation>\n{conversation}\n</conversation>"
    return CompletionRequest(model, [Message.text("system", SUMMARY_SYSTEM), Message.text("user", text)], [],
                             temperature, None, stream=False)


def head_end(messages: list[Message]) -> int:
    """The index after the first user message: the system prompt and the task always stay verbatim."""
    first_user = next((i for i, m in enumerate(messages) if m.role == "user"), None)
    if first_user is None:
        return next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
    return first_user + 1


def tail_start(messages: list[Message], start: int, budget: int) -> int:
    """Where the verbatim tail begins: recent messages within `budget`, never opening on an orphaned tool result."""
    i, used = len(messages), 0
    while i > start and used + message_tokens(messages[i - 1]) <= budget:
        i -= 1
        used += message_tokens(messages[i])
    i = min(i, len(messages) - 1)  # the latest message always stays verbatim
    while i > start and messages[i].role == "tool":  # take the call along with its results
        i -= 1
    return max(i, start)


def shrink_results(messages: list[Message], budget: int) -> list[Message]:
    """Cut tool outputs harder and harder until the request fits (or they are as short as is useful)."""
    for limit in (6_000, 2_000, 500):
        if total_tokens(messages) <= budget:
            break
        messages = [_cut_results(m, limit) for m in messages]
    return messages


def _cut_results(message: Message, limit: int) -> Message:
    if message.role != "tool":
        return message
    return Message("tool", [replace(p, content=truncate_text(p.content, limit)) if isinstance(p, ToolResultPart)
                            else p for p in message.parts])


def request_budget(window: int, tools: list[ToolDefinition]) -> int:
    """Tokens the messages may use: ~85% of the window minus the response reserve and the tool definitions."""
    target = target_tokens(window)
    return max(target // 4, target - tools_tokens(tools))


@dataclass
class Summary:
    covers: int  # messages[head_end:covers] are replaced by the summary
    anchor: Message  # messages[covers - 1] when it was made: a rewritten transcript (undo) invalidates it
    count: int
    text: str


@dataclass
class CompactionResult:
    messages_summarised: int  # 0: nothing old enough to summarise yet
    tokens_before: int
    tokens_after: int
    usage: Usage


class Compactor:
    """Builds each request's messages from the full transcript; the summary is cached between steps."""

    def __init__(self, settings: AgentSettings):
        self.settings = settings
        self.summary: Summary | None = None
        self.failed_at: int | None = None

    async def fit(self, model: ChatModel, messages: list[Message], tools: list[ToolDefinition],
                  sink: ev.EventSink) -> tuple[list[Message], Usage]:
        """The messages for the next request and the usage of any summary call made for it."""
        budget = request_budget(self.settings.context_window, tools)
        before = total_tokens(messages)
        if before <= budget:  # a summary made by /compact applies even while the transcript still fits
            return (self._build(messages, cached) if (cached := self._valid_summary(messages)) else messages), Usage()
        cooling = self.failed_at is not None and len(messages) < self.failed_at + RETRY_AFTER_MESSAGES
        if not self.settings.compaction or cooling:
            return self._truncate(messages, budget, sink), Usage()
        cached = self._valid_summary(messages)
        if cached and total_tokens(request := self._build(messages, cached)) <= budget:
            return request, Usage()
        start = head_end(messages)
        done = cached.covers if cached else start
        summary_tokens = max(256, min(2_048, budget // 4))
        # The tail gets half of what is left, so several steps fit before the next summary call.
        tail = tail_start(messages, done, (budget - total_tokens(messages[:start]) - summary_tokens) // 2)
        if tail <= done:  # nothing new to summarise: only tool outputs can still shrink
            return (shrink_results(self._build(messages, cached), budget) if cached
                    else self._truncate(messages, budget, sink)), Usage()
        try:
            usage = await self.summarise(model, messages, cached, tail, summary_tokens)
        except CodetetherError as exc:
            self.failed_at = len(messages)
            sink(ev.CompactionFailed(redact(exc.message)))
            return self._truncate(messages, budget, sink), Usage()
        fitted = shrink_results(self._build(messages, self.summary), budget)
        sink(ev.CompactionCompleted(tail - start, before, total_tokens(fitted)))
        return fitted, usage

    async def summarise(self, model: ChatModel, messages: list[Message], cached: Summary | None, tail: int,
                        summary_tokens: int) -> Usage:
        """One summary call folding messages up to `tail` (after any cached summary) into self.summary."""
        start = head_end(messages)
        done = cached.covers if cached else start
        task = next((m.text_content for m in messages if m.role == "user"), "")
        request = summary_request(self.settings.model, task,
                                  cached.text if cached else None, messages[done:tail],
                                  self.settings.context_window, int(summary_tokens * 0.7), self.settings.temperature)
        response = await model.complete(request)
        text = response.message.text_content.strip()
        if not text:
            raise CodetetherError("the model returned an empty summary")
        self.summary = Summary(tail, messages[tail - 1], tail - start, truncate_text(text, int(summary_tokens * 3.5)))
        return response.usage

    async def compact(self, model: ChatModel, messages: list[Message], budget: int) -> CompactionResult:
        """Summarise all but the latest exchange, whatever the size (the user asked for it)."""
        before = total_tokens(messages)
        cached = self._valid_summary(messages)
        done = cached.covers if cached else head_end(messages)
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=0)
        # The latest exchange stays verbatim, cut to a quarter of the budget when it is itself large.
        tail = max(last_user, tail_start(messages, done, budget // 4))
        if tail <= done:
            return CompactionResult(0, before, total_tokens(self._build(messages, cached)) if cached else before,
                                    Usage())
        usage = await self.summarise(model, messages, cached, tail, max(256, min(2_048, budget // 4)))
        self.failed_at = None
        assert self.summary is not None
        after = total_tokens(self._build(messages, self.summary))
        return CompactionResult(self.summary.count - (cached.count if cached else 0), before, after, usage)

    def _valid_summary(self, messages: list[Message]) -> Summary | None:
        s = self.summary
        return s if s and s.covers <= len(messages) and messages[s.covers - 1] is s.anchor else None

    def _build(self, messages: list[Message], summary: Summary) -> list[Message]:
        start = head_end(messages)
        note = Message.text("user", SUMMARY_HEADER.format(n=summary.count) + summary.text)
        return messages[:start] + [note] + messages[summary.covers:]

    def _truncate(self, messages: list[Message], budget: int, sink: ev.EventSink) -> list[Message]:
        """The seed's truncation: keep the first two and the last four messages, drop the middle."""
        fitted, dropped = fit_to_window(messages, self.settings.context_window, budget)
        if dropped:
            sink(ev.ContextTruncated(dropped, total_tokens(messages), total_tokens(fitted)))
        return fitted


async def compact_now(agent: Agent) -> CompactionResult:
    """Summarise all but the latest exchange now (`/compact`); the next request uses the summary.

    A failed summary call raises CodetetherError and leaves the conversation as it was."""
    budget = request_budget(agent.settings.context_window, agent.tools.definitions())
    result = await agent.compactor.compact(agent.model, agent.messages, budget)
    agent.usage.add(result.usage)
    return result
