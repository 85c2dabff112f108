"""Tool calls for models without native function calling: tools described in the prompt, calls parsed from text.

The model is told to answer with `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks; tool results go
back as `<tool_result>` text. A block is read with the certain repairs of lenient_json (and in the Qwen3-Coder and
GLM formats models fall back to), each noted per call; a block the reply ended inside becomes a call whose
arguments are as far as they came, which the agent refuses as cut off. Anything else stays in the reply as text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from codetether.lenient_json import JsonDamage, parse_object, parse_value
from codetether.provider.call_formats import partial_call, xml_call
from codetether.provider.model import (
    FinishReason,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolDefinition,
    ToolResultPart,
)

OPEN, CLOSE = "<tool_call>", "</tool_call>"
# Markdown renderers (the Gemini web app) escape the markers: \<tool\_call\>; HTML ones write &lt;tool_call&gt;.
_MARKER = re.compile(r"(?:\\?<|&lt;)\s*(/?)\s*tool\\?_call\s*\\?(?:>|&gt;)", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_EMPTY_FENCE = re.compile(r"```[\w-]*\s*```")
_FENCED_JSON = re.compile(r"```(?:json)?\s*\n(\{.*?\})\s*\n?```", re.DOTALL)
_RESULT_BLOCK = re.compile(r"<tool_result\b[^>]*>.*?</tool_result>", re.DOTALL | re.IGNORECASE)
# A backslash before anything JSON cannot escape is markdown escaping (\_ \[ \*): drop it and try again.
_MD_ESCAPE = re.compile(r'\\(?=[^"\\/bfnrtu])')

PROTOCOL = """\
# Tools
You cannot call functions natively. To use a tool, write a block like this in your reply:
<tool_call>
{"name": "TOOL_NAME", "arguments": {"PARAMETER": "VALUE"}}
</tool_call>
Rules: the block holds one JSON object with "name" and "arguments" (an object matching the tool's parameters); \
write one block per call (several are allowed), then stop and wait. Never write <tool_result> yourself: the \
results come back in the next message as <tool_result name="..."> blocks. When you need no more tools, answer in \
plain text without any block.

Available tools:"""


def new_call_id() -> str:
    return f"call_{os.urandom(12).hex()}"  # not uuid: it imports `platform` on every start


def tool_instructions(tools: Iterable[ToolDefinition]) -> str:
    """The protocol and every tool's name, description and JSON Schema, for the system prompt."""
    lines = [PROTOCOL]
    for tool in tools:
        lines.append(f"\n## {tool.name}\n{tool.description.strip()}\n"
                     f"Parameters (JSON Schema): {json.dumps(tool.parameters, separators=(',', ':'))}")
    return "\n".join(lines)


def render_messages(messages: list[Message], tools: list[ToolDefinition]) -> list[tuple[str, str]]:
    """(role, text) turns for a chat template: one system turn (with the tool list), calls and results as text."""
    system = "\n\n".join(m.text_content for m in messages if m.role == "system" and m.text_content)
    if tools:
        system = f"{system}\n\n{tool_instructions(tools)}".strip()
    turns: list[tuple[str, str]] = [("system", system)] if system else []
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    for msg in messages:
        if msg.role == "system":
            continue
        role = "assistant" if msg.role == "assistant" else "user"
        text = "\n".join(t for t in (_part_text(p, names) for p in msg.parts) if t)
        if not text:
            continue
        if turns and turns[-1][0] == role and role == "user":  # results of one step arrive as one message
            turns[-1] = (role, f"{turns[-1][1]}\n{text}")
        else:
            turns.append((role, text))
    return turns


def render_transcript(messages: list[Message], tools: list[ToolDefinition]) -> str:
    """The whole conversation as one prompt, for backends that take a single text (the Gemini web app)."""
    turns = render_messages(messages, tools)
    out = [text if role == "system" else f"[{role.upper()}]\n{text}" for role, text in turns]
    return "\n\n".join(out + ["[ASSISTANT]"])


def _part_text(part: Any, names: dict[str, str]) -> str:
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, ToolCallPart):
        try:
            arguments: Any = json.loads(part.arguments or "{}")
        except ValueError:
            arguments = part.arguments
        return f"{OPEN}\n{json.dumps({'name': part.name, 'arguments': arguments})}\n{CLOSE}"
    if isinstance(part, ToolResultPart):
        status = ' status="error"' if part.is_error else ""
        return f'<tool_result name="{names.get(part.tool_call_id, "unknown")}"{status}>\n{part.content}\n</tool_result>'
    if isinstance(part, ImagePart):
        return "[an image was attached here; this model cannot see images]"
    return ""  # thinking is the model's own scratch work: not sent back


@dataclass
class ParsedReply:
    text: str
    calls: list[ToolCallPart] = field(default_factory=list)
    repairs: dict[str, list[str]] = field(default_factory=dict)  # call id -> how its block was read

    def message(self) -> Message:
        parts: list[Any] = [TextPart(self.text)] if self.text else []
        return Message("assistant", [*parts, *self.calls])

    @property
    def finish_reason(self) -> FinishReason:
        return "tool_calls" if self.calls else "stop"


def parse_reply(text: str, tool_names: Iterable[str] | None = None, *, unclosed: bool = True) -> ParsedReply:
    """Calls out of a reply; what is left is the text. Blocks that cannot be read stay as text.

    With tool_names, a reply that has no blocks but a fenced JSON object naming one of those tools also counts.
    unclosed=False stops at a block without its closing tag, as the tool-call router's parser does (spec 14).
    """
    normal = _MARKER.sub(lambda m: CLOSE if m.group(1) else OPEN, text)
    reply = ParsedReply("")
    kept: list[str] = []
    pos = 0
    while (start := normal.find(OPEN, pos)) != -1:
        end = normal.find(CLOSE, start)
        if end == -1:
            break
        found = _calls(normal[start + len(OPEN):end], reply)
        kept.append(normal[pos:start] if found else normal[pos:end + len(CLOSE)])
        pos = end + len(CLOSE)
    start = normal.find(OPEN, pos)
    if start != -1 and unclosed and _unclosed(normal[start + len(OPEN):], reply):
        kept.append(normal[pos:start])
    else:
        kept.append(normal[pos:])
    if not reply.calls and tool_names is not None:
        return _fenced_calls(text, set(tool_names))
    if not reply.calls:
        return ParsedReply(text.strip())
    rest = _RESULT_BLOCK.sub("", "".join(kept))  # results the model made up after its calls are not results
    reply.text = _EMPTY_FENCE.sub("", rest).strip()
    return reply


def _unclosed(block: str, reply: ParsedReply) -> bool:
    """A block the reply ended inside: a call (the closing tag alone missing) or a cut-off one; False: text."""
    if _calls(block, reply, note="the closing </tool_call> tag was missing"):
        return True
    partial = partial_call(block)
    if partial is None:
        return False
    reply.calls.append(ToolCallPart(new_call_id(), partial[0].strip(), partial[1]))
    return True


def _fenced_calls(text: str, names: set[str]) -> ParsedReply:
    reply = ParsedReply("")

    def take(match: re.Match[str]) -> str:
        trial = ParsedReply("")
        found = _calls(match.group(1), trial)
        if found and all(c.name in names for c in found):
            reply.calls.extend(trial.calls)
            reply.repairs.update(trial.repairs)
            return ""
        return match.group(0)

    rest = _FENCED_JSON.sub(take, text)
    reply.text = rest.strip() if reply.calls else text.strip()
    return reply


def _calls(block: str, reply: ParsedReply, note: str = "") -> list[ToolCallPart]:
    """The call(s) in one block, added to `reply` with how each was read: an object, a list, or XML; [] if none."""
    body = block.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    repairs = [note] if note else []
    xml = xml_call(body)
    if xml is not None:
        name, arguments, form = xml
        calls = [ToolCallPart(new_call_id(), name, json.dumps(arguments, ensure_ascii=False))]
        repairs.append(f"call written in the {form} format read as JSON")
    else:
        data = _loads(body, repairs)
        items = data if isinstance(data, list) else [data]
        found = [_call(item, repairs) for item in items]
        if not found or any(c is None for c in found):
            return []
        calls = [c for c in found if c is not None]
    for call in calls:
        reply.calls.append(call)
        if repairs:
            reply.repairs[call.id] = list(repairs)
    return calls


def _loads(body: str, repairs: list[str]) -> Any:
    for candidate in (body, _MD_ESCAPE.sub("", body)):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    try:
        parsed = parse_value(body, wrapped=True)
    except JsonDamage:
        return None
    repairs.extend(parsed.repairs)
    return parsed.value


def _call(item: Any, repairs: list[str]) -> ToolCallPart | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    arguments = next((item[k] for k in ("arguments", "parameters", "args") if k in item), {})
    if isinstance(arguments, str):
        try:
            parsed = parse_object(arguments)
        except JsonDamage:
            return None
        repairs.extend(parsed.repairs)
        arguments = parsed.value
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return None
    return ToolCallPart(new_call_id(), name.strip(), json.dumps(arguments, ensure_ascii=False))


class VisibleText:
    """Streams a reply's text as it grows, up to where a tool-call block (or a marker still arriving) starts.

    Everything shown is a prefix of the final parsed text, so `finish` can add exactly the rest.
    """

    _HOLD = ("<tool_call>", "\\<tool\\_call\\>", "&lt;tool_call&gt;", "<tool_result", "```")

    def __init__(self) -> None:
        self.shown = ""
        self.stopped = False

    def delta(self, full_text: str) -> str:
        """The new visible part of the cumulative text `full_text` ('' once a block may have begun)."""
        if self.stopped:
            return ""
        text = full_text.lstrip()
        marker = _MARKER.search(text)
        result = text.lower().find("<tool_result")
        stops = [i for i in (marker.start() if marker else -1, result, text.find("```")) if i != -1]
        if stops:
            text, self.stopped = text[:min(stops)], True
        else:
            text = text[:_partial_marker_start(text, self._HOLD)]
        text = text.rstrip()  # trailing blanks may be stripped from the final text: show them with what follows
        if len(text) <= len(self.shown) or not text.startswith(self.shown):
            return ""
        piece, self.shown = text[len(self.shown):], text
        return piece

    def finish(self, final_text: str) -> str:
        """What is still missing from `final_text` after the streamed part."""
        return final_text[len(self.shown):] if final_text.startswith(self.shown) else ""


def _partial_marker_start(text: str, markers: tuple[str, ...]) -> int:
    """Hold back a tail that could still become a marker."""
    cut = len(text)
    for marker in markers:
        for n in range(min(len(marker), len(text)), 0, -1):
            if text.endswith(marker[:n]):
                cut = min(cut, len(text) - n)
                break
    return cut
