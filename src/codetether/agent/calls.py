"""Check each tool call before anything runs: find the tool, read the arguments, fit them to its schema; repair
only what is certain and refuse the rest with what to send instead. A call cut off mid-value never runs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from codetether.lenient_json import JsonDamage, parse_object, unique_pairs
from codetether.provider.model import ToolCallPart
from codetether.tool.base import Tool
from codetether.tool.registry import CORE_TOOLS, LOADER, ToolSet
from codetether.tool.support.fit import ArgumentConflict, fit_arguments
from codetether.tool.support.names import canonical, resolve_name
from codetether.tool.support.schema import validate_arguments

RECEIVED_CHARS = 320  # how much of a refused call's arguments the model is shown
_ADVICE = {
    "write": "Write the file in parts: create it with the first part (well under the limit, about 150 lines), "
             "then add the rest with further edit calls.",
    "edit": "Make smaller edits: one region per call.",
    "multiedit": "Make smaller edits: fewer and shorter edits per call.",
    "apply_patch": "Send smaller patches: a few hunks per call.",
    "bash": "Keep the command short; put a long script into a file in parts first.",
}


@dataclass(frozen=True)
class CutOff:
    """The reply ended before it was complete: why, and the output limit when known."""

    cause: str
    limit_tokens: int | None = None


@dataclass
class CheckedCall:
    original: ToolCallPart
    call: ToolCallPart  # what the transcript keeps: our tool's name, the arguments as they will run (or {})
    tool: Tool | None = None
    arguments: dict[str, Any] | None = None
    repairs: list[str] = field(default_factory=list)
    refusal: str | None = None  # the tool result the model gets instead of a run
    reason: str = ""  # truncated | malformed | ambiguous | unknown_tool | not_available | invalid

    @property
    def runnable(self) -> bool:
        return self.refusal is None


def check_call(call: ToolCallPart, tools: ToolSet, *, agent: str, repair: bool = True,
               cut_off: CutOff | None = None, known_repairs: list[str] | None = None) -> CheckedCall:
    """`call` checked against `tools`; `cut_off` when the reply ended while this call was being written."""
    repairs = list(known_repairs or [])
    available = tools.names + ([LOADER] if tools.get(LOADER) else [])
    name, how = resolve_name(call.name, available) if repair else (
        (canonical(call.name), None) if canonical(call.name) in available else (None, None))
    if how:
        repairs.append(how)
    tool = tools.get(name) if name else None
    if tool is None:
        return _unknown(call, tools, agent, repair)
    try:
        arguments, read = _read_arguments(call.arguments, repair, cut_off is not None)
    except JsonDamage as damage:
        if damage.kind != "truncated" and cut_off is None:
            return _refuse(call, tool, f"its arguments are not valid JSON: {damage}", damage.kind, repairs)
        advice = (_ADVICE.get(tool.name, "Send shorter arguments, or split the work over several calls.")
                  if cut_off else "Send the call again with its arguments complete.")
        return _refuse(call, tool, _cut_off_text(cut_off, damage), "truncated", repairs, advice=advice)
    repairs += read
    try:  # with repairs off, still refused when two of its parameters say different things
        fitted_arguments, fitted = fit_arguments(tool.name, tool.parameters, arguments)
    except ArgumentConflict as conflict:
        return _refuse(call, tool, str(conflict), "ambiguous", repairs, arguments)
    if repair:
        arguments, repairs = fitted_arguments, repairs + fitted
    problem = validate_arguments(tool.parameters, arguments)
    if problem:
        return _refuse(call, tool, problem, "invalid", repairs, arguments)
    text = call.arguments if not repairs else json.dumps(arguments, ensure_ascii=False)
    return CheckedCall(call, ToolCallPart(call.id, tool.name, text), tool, arguments, repairs)


def _read_arguments(raw: str, repair: bool, strict: bool) -> tuple[dict[str, Any], list[str]]:
    if not raw.strip():
        return {}, []
    if repair and not strict:
        parsed = parse_object(raw)
        return parsed.value, parsed.repairs
    try:  # no repairs (or a reply that was cut off): exactly JSON, or nothing
        value = json.loads(raw, object_pairs_hook=unique_pairs)
    except JsonDamage:
        raise
    except ValueError as exc:
        try:
            parse_object(raw)  # only to tell a call that stops mid-value (cut off) from a malformed one
        except JsonDamage as damage:
            if damage.kind == "truncated":
                raise
        raise JsonDamage("malformed", f"{exc.msg} at char {exc.pos}", exc.pos) from None
    if not isinstance(value, dict):
        raise JsonDamage("malformed", "the arguments must be a JSON object")
    return value, []


def _cut_off_text(cut_off: CutOff | None, damage: JsonDamage) -> str:
    if cut_off is None:
        return ("the call was cut off: its arguments end before the JSON is complete, so it was not run with "
                "what arrived")
    limit = f" of {cut_off.limit_tokens} tokens" if cut_off.limit_tokens else ""
    state = "the JSON is incomplete" if damage.kind == "truncated" else "the JSON is not complete and valid"
    return (f"the call was cut off: {cut_off.cause}{limit} while its arguments were being written ({state}), "
            "so it was not run with what arrived")


def _unknown(call: ToolCallPart, tools: ToolSet, agent: str, repair: bool) -> CheckedCall:
    listed = ", ".join(tools.names) or "none"
    core, _ = resolve_name(call.name, list(CORE_TOOLS)) if repair else (
        (canonical(call.name), None) if canonical(call.name) in CORE_TOOLS else (None, None))
    if not call.name.strip():
        return CheckedCall(call, call, refusal=f"the call has no tool name. Available tools: {listed}",
                           reason="unknown_tool")
    if core in tools.withheld:
        return CheckedCall(call, call, refusal=f"{core} was not run: it changes files or runs commands, and "
                           f"{tools.withheld[core]}. Use one of: {listed}", reason="not_available")
    if core:
        reason = f"tool '{core}' is not available to the {agent} agent"
        return CheckedCall(call, call, refusal=f"{reason}; use one of: {listed}", reason="not_available")
    return CheckedCall(call, call, refusal=f"unknown tool '{call.name}'. Available tools: {listed}",
                       reason="unknown_tool")


def _refuse(call: ToolCallPart, tool: Tool, why: str, reason: str, repairs: list[str],
            parsed: dict[str, Any] | None = None, advice: str = "") -> CheckedCall:
    lines = [f"{tool.name} was not run: {why}.",
             f"Received ({len(call.arguments)} chars): {shorten(call.arguments)}",
             describe_parameters(tool)]
    if repairs:
        lines.insert(1, f"(already repaired: {'; '.join(repairs)})")
    lines.append(advice or "Send the call again with one JSON object holding these parameters.")
    kept = json.dumps(parsed, ensure_ascii=False) if parsed is not None else "{}"
    return CheckedCall(call, ToolCallPart(call.id, tool.name, kept), tool, None, repairs, "\n".join(lines), reason)


def describe_parameters(tool: Tool) -> str:
    """`write takes: path (string, required): File path; content (...)` for refusals the model can act on."""
    schema = tool.parameters
    props: dict[str, Any] = schema.get("properties") or {}
    if not props:
        return f"{tool.name} takes no parameters: send {{}}."
    required = set(schema.get("required") or [])
    parts = []
    for name, spec in props.items():
        flag = ", required" if name in required else ""
        about = _first_sentence(str(spec.get("description") or ""))
        parts.append(f"{name} ({_type_text(spec)}{flag})" + (f": {about}" if about else ""))
    return f"{tool.name} takes: " + "; ".join(parts)


def _type_text(spec: dict[str, Any]) -> str:
    kind = spec.get("type") or "any"
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if spec.get("enum"):
        return "one of " + ", ".join(json.dumps(v) for v in spec["enum"])
    items = spec.get("items")
    if kind == "array" and isinstance(items, dict):
        inner = items.get("properties")
        if inner:
            needed = set(items.get("required") or [])
            return "array of objects {" + ", ".join(f"{k}{'' if k in needed else '?'}" for k in inner) + "}"
        return f"array of {items.get('type', 'any')}"
    return str(kind)


def _first_sentence(text: str, limit: int = 90) -> str:
    line = " ".join(text.split())
    end = re.search(r"\.\s+(?=[A-Z])", line)
    line = line[:end.start() + 1] if end and end.start() < limit else line
    return line if len(line) <= limit else line[:limit - 1].rsplit(" ", 1)[0] + "…"


def shorten(text: str, limit: int = RECEIVED_CHARS) -> str:
    """The start and the end (where a cut-off call stopped) of a long argument string."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    head = limit - tail
    return f"{text[:head]} … [{len(text) - limit} chars] … {text[-tail:]}"
