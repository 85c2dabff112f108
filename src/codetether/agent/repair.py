"""Keep tool calls and results paired, as every provider demands, even after an interrupted run."""

from __future__ import annotations

from codetether.provider.model import Message, ToolResultPart

INTERRUPTED = "[no result: the run was interrupted before this tool call finished]"


def unanswered_calls(messages: list[Message]) -> list[str]:
    """Ids of the last assistant message's tool calls that have no result yet."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "assistant":
            answered = {p.tool_call_id for m in messages[index + 1:] if m.role == "tool"
                        for p in m.parts if isinstance(p, ToolResultPart)}
            return [c.id for c in messages[index].tool_calls if c.id not in answered]
    return []


def pair_tool_calls(messages: list[Message]) -> list[Message]:
    """A copy in which every tool call has a result right after its message and no result lacks its call."""
    out: list[Message] = []
    pending: list[str] = []
    for message in messages:
        if message.role == "tool":
            parts = [p for p in message.parts if isinstance(p, ToolResultPart) and p.tool_call_id in pending]
            if parts:
                pending = [c for c in pending if c not in {p.tool_call_id for p in parts}]
                out.append(Message("tool", parts))
            continue
        out.extend(_placeholders(pending))
        pending = [c.id for c in message.tool_calls] if message.role == "assistant" else []
        out.append(message)
    out.extend(_placeholders(pending))
    return out


def _placeholders(call_ids: list[str]) -> list[Message]:
    return [Message("tool", [ToolResultPart(cid, INTERRUPTED, is_error=True)]) for cid in call_ids]
