"""Strictly alternating user/assistant turns, as the Anthropic and Bedrock Converse APIs require."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codetether.provider.model import Message


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
