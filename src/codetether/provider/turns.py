"""Strictly alternating user/assistant turns, as the Anthropic and Bedrock Converse APIs require; and what both
say when a reply was cut off inside a tool call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codetether.provider.model import Message, TextPart, ToolCallPart, ToolResultPart


def alternating_turns(messages: list[Message], block: Callable[[Any], dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Each message's parts as content blocks; tool results ride in user turns; same-role neighbours merge."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        role = "assistant" if msg.role == "assistant" else "user"
        blocks = [b for b in (block(p) for p in msg.parts) if b]
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def tools_as_text(message: Message) -> Message:
    """Tool calls and results rendered as plain text, for requests that define no tools (the APIs reject tool
    blocks then, e.g. when a session that used tools goes on with the chat agent)."""
    parts: list[Any] = []
    for p in message.parts:
        if isinstance(p, ToolCallPart):
            parts.append(TextPart(f"[called tool {p.name} with {p.arguments}]"))
        elif isinstance(p, ToolResultPart):
            parts.append(TextPart(f"[tool result]\n{p.content}"))
        else:
            parts.append(p)
    return Message(message.role, parts)


def open_cut_off_call(parts: list[Any], finish: str) -> list[Any]:
    """A reply cut off at max_tokens while a tool call was being written: its input, which the API parsed for us,
    may lack whatever did not arrive. Left as open JSON so the agent refuses it as cut off instead of running it."""
    if finish != "length" or not parts or not isinstance(parts[-1], ToolCallPart):
        return parts
    last = parts[-1]
    return [*parts[:-1], ToolCallPart(last.id, last.name, last.arguments.rstrip().removesuffix("}"))]
