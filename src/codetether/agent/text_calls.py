"""A native-tools model that wrote its call into the reply text (`<tool_call>...</tool_call>`, Qwen or GLM XML,
Kimi K2's raw call tokens), as models do when the server lacks their tool parser: read with the text protocol's
parser, each call noted."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from codetether.provider.model import CompletionResponse, Message, TextPart

_MARKERS = ("<tool_call", "\\<tool\\_call", "&lt;tool_call", "<function=")
NOTE = "tool call written as text in the reply, read as a call"
# Kimi K2's chat template: <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX
# <|tool_call_argument_begin|>{...}<|tool_call_end|><|tool_calls_section_end|> (the section marker also singular).
_KIMI_CALL = re.compile(r"<\|tool_call_begin\|>\s*(?P<name>[^\s<]+)\s*<\|tool_call_argument_begin\|>(?P<arguments>.*?)"
                        r"(?P<end><\|tool_call_end\|>|$)", re.DOTALL)
_KIMI_SECTION = re.compile(r"\s*<\|tool_calls?_section_(?:begin|end)\|>\s*")


def _kimi_as_blocks(text: str) -> str:
    """Kimi's call tokens as `<tool_call>` JSON blocks; a call the reply ended inside stays without its closing tag."""

    def block(match: re.Match[str]) -> str:
        arguments = match.group("arguments").strip() or "{}"
        head = f'<tool_call>{{"name": {json.dumps(match.group("name"))}, "arguments": {arguments}'
        return head + "}</tool_call>" if match.group("end") else head  # cut off: no brace of ours closes it

    return _KIMI_SECTION.sub("\n", _KIMI_CALL.sub(block, text)).strip()


def salvage_text_calls(response: CompletionResponse) -> CompletionResponse:
    """`response` with the calls its text spells out; unchanged when there are none."""
    text = response.message.text_content
    if "<|tool_call_begin|>" in text:
        text = _kimi_as_blocks(text)
    if not any(marker in text for marker in _MARKERS):
        return response
    if text.lstrip().startswith("<function=") and not any(marker in text for marker in _MARKERS[:3]):
        text = f"<tool_call>{text}</tool_call>"  # Qwen3-Coder sometimes leaves out the wrapper
    # The text protocol's parser, loaded only for a reply that needs it.
    from codetether.provider.text_tools import parse_reply

    parsed = parse_reply(text)
    if not parsed.calls:
        return response
    others = [p for p in response.message.parts if not isinstance(p, TextPart)]
    parts = [*others, *([TextPart(parsed.text)] if parsed.text else []), *parsed.calls]
    repairs = {**response.repairs, **{c.id: [NOTE, *parsed.repairs.get(c.id, [])] for c in parsed.calls}}
    finish = "length" if response.finish_reason == "length" else "tool_calls"
    return replace(response, message=Message(response.message.role, parts), finish_reason=finish, repairs=repairs)
