"""A stored session as the updates that show it again (`session/load`): user and agent messages, thoughts, and
each tool call with its result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acp.schema import ImageContentBlock, TextContentBlock, ToolCallProgress, UserMessageChunk

from codetether.acp import toolcalls
from codetether.acp.translate import output_content, text_chunk, tool_call_start
from codetether.provider.model import ImagePart, Message, TextPart, ThinkingPart, ToolCallPart, ToolResultPart


def history_updates(messages: list[Message], cwd: Path) -> list[Any]:
    results = {p.tool_call_id: p for m in messages if m.role == "tool" for p in m.parts
               if isinstance(p, ToolResultPart)}
    updates: list[Any] = []
    for message in messages:
        if message.role == "user":
            updates += [UserMessageChunk(session_update="user_message_chunk", content=block)
                        for block in _user_blocks(message)]
        elif message.role == "assistant":
            for part in message.parts:
                if isinstance(part, ThinkingPart) and part.text:
                    updates.append(text_chunk(part.text, thought=True))
                elif isinstance(part, TextPart) and part.text:
                    updates.append(text_chunk(part.text))
                elif isinstance(part, ToolCallPart):
                    updates += _tool_call(part, results.get(part.id), cwd)
    return updates


def _user_blocks(message: Message) -> list[Any]:
    blocks: list[Any] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            blocks.append(TextContentBlock(type="text", text=part.text))
        elif isinstance(part, ImagePart) and part.url.startswith("data:") and ";base64," in part.url:
            head, data = part.url.split(";base64,", 1)
            blocks.append(ImageContentBlock(type="image", data=data, mime_type=head.removeprefix("data:")))
    return blocks


def _tool_call(call: ToolCallPart, result: ToolResultPart | None, cwd: Path) -> list[Any]:
    args = toolcalls.parse_arguments(call.arguments)
    if result is None:
        return [tool_call_start(call.id, call.name, args, cwd, "failed")]
    status = "failed" if result.is_error else "completed"
    return [tool_call_start(call.id, call.name, args, cwd, "in_progress"),
            ToolCallProgress(session_update="tool_call_update", tool_call_id=call.id, status=status,
                             content=[output_content(call.name, result.content)])]
