"""A native-tools model that wrote its call into the reply text (`<tool_call>...</tool_call>`, Qwen or GLM XML),
as models do when the server lacks their tool parser: read with the text protocol's parser, each call noted."""

from __future__ import annotations

from dataclasses import replace

from codetether.provider.model import CompletionResponse, Message, TextPart
from codetether.provider.text_tools import parse_reply

_MARKERS = ("<tool_call", "\\<tool\\_call", "&lt;tool_call", "<function=")
NOTE = "tool call written as text in the reply, read as a call"


def salvage_text_calls(response: CompletionResponse) -> CompletionResponse:
    """`response` with the calls its text spells out; unchanged when there are none."""
    text = response.message.text_content
    if not any(marker in text for marker in _MARKERS):
        return response
    if text.lstrip().startswith("<function=") and not any(marker in text for marker in _MARKERS[:3]):
        text = f"<tool_call>{text}</tool_call>"  # Qwen3-Coder sometimes leaves out the wrapper
    parsed = parse_reply(text)
    if not parsed.calls:
        return response
    others = [p for p in response.message.parts if not isinstance(p, TextPart)]
    parts = [*others, *([TextPart(parsed.text)] if parsed.text else []), *parsed.calls]
    repairs = {**response.repairs, **{c.id: [NOTE, *parsed.repairs.get(c.id, [])] for c in parsed.calls}}
    finish = "length" if response.finish_reason == "length" else "tool_calls"
    return replace(response, message=Message(response.message.role, parts), finish_reason=finish, repairs=repairs)
