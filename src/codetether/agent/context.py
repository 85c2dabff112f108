"""Keep each request inside the model's window, as the seed's executor does; the transcript is never cut."""

from __future__ import annotations

import json
import math
from dataclasses import replace

from codetether.provider.model import (
    ImagePart,
    Message,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

TRUNCATION_THRESHOLD = 0.85
RESPONSE_RESERVE_TOKENS = 8_192
RESULT_CHARS = 6_000  # a single tool result, as the model first sees it
KEEP_START, KEEP_END = 2, 4


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 3.5)


_TOOL_TOKENS: dict[tuple[str, str, int], int] = {}  # a cache: a tool's schema is the same on every request


def tools_tokens(tools: list[ToolDefinition]) -> int:
    """What the tool definitions cost a request, each estimated once (not serialised again on every step)."""
    total = 0
    for tool in tools:
        key = (tool.name, tool.description, len(tool.parameters))
        if key not in _TOOL_TOKENS:
            _TOOL_TOKENS[key] = estimate_tokens(json.dumps({"name": tool.name, "description": tool.description,
                                                            "parameters": tool.parameters}))
        total += _TOOL_TOKENS[key]
    return total


def message_tokens(message: Message) -> int:
    total = 4
    for part in message.parts:
        if isinstance(part, (TextPart, ThinkingPart)):
            total += estimate_tokens(part.text)
        elif isinstance(part, ToolCallPart):
            total += estimate_tokens(part.id + part.name + part.arguments) + 10
        elif isinstance(part, ToolResultPart):
            total += estimate_tokens(part.tool_call_id + part.content) + 6
        elif isinstance(part, ImagePart):
            total += 2000
    return total


def total_tokens(messages: list[Message]) -> int:
    return sum(message_tokens(m) for m in messages)


def truncate_text(content: str, max_chars: int, hint: str = "") -> str:
    """Cut at the last line break before max_chars and say how much was dropped."""
    if len(content) <= max_chars:
        return content
    cut = content.rfind("\n", 0, max_chars)
    cut = cut if cut > 0 else max_chars
    note = f"\n\n[OUTPUT TRUNCATED: {len(content)} → {cut} chars to fit context limit]"
    return content[:cut] + "..." + note + (f" {hint}" if hint else "")


def target_tokens(context_window: int) -> int:
    return max(1024, int(context_window * TRUNCATION_THRESHOLD) - min(RESPONSE_RESERVE_TOKENS, context_window // 4))


def fit_to_window(messages: list[Message], context_window: int,
                  target: int | None = None) -> tuple[list[Message], int]:
    """Return a copy that fits ~85% of the window (or `target` tokens) and how many messages were dropped."""
    target = target or target_tokens(context_window)
    if total_tokens(messages) <= target:
        return messages, 0
    fitted = [_shrink_tool_results(m, 2000 * 3) for m in messages]
    if total_tokens(fitted) <= target or len(fitted) <= KEEP_START + KEEP_END:
        return fitted, 0
    tail_start = len(fitted) - KEEP_END
    # A tail must not open with tool results whose calls were removed; widen it to include the call.
    while tail_start > KEEP_START and fitted[tail_start].role == "tool":
        tail_start -= 1
    removed = fitted[KEEP_START:tail_start]
    if not removed:
        return fitted, 0
    note = Message.text("user", f"[Context truncated: {len(removed)} earlier messages removed to fit context window]"
                        + _tools_used(removed))
    return fitted[:KEEP_START] + [note] + fitted[tail_start:], len(removed)


def _shrink_tool_results(message: Message, max_chars: int) -> Message:
    if message.role != "tool":
        return message
    parts = [replace(p, content=truncate_text(p.content, max_chars)) if isinstance(p, ToolResultPart) else p
             for p in message.parts]
    return Message(message.role, parts)


def _tools_used(messages: list[Message]) -> str:
    names = list(dict.fromkeys(c.name for m in messages for c in m.tool_calls))
    return f"\nTools used in truncated history: {', '.join(names)}" if names else ""
