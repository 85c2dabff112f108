"""The FunctionGemma prompt and the parser for the <tool_call> blocks it answers with (spec §14)."""

from __future__ import annotations

import json
import logging
import uuid

from codetether.provider.model import ToolCallPart, ToolDefinition

log = logging.getLogger(__name__)

SYSTEM = ("You are a function calling AI model. You are provided with function signatures within <tools></tools> "
          "XML tags. You may call one or more functions to assist with the user query. Don't make assumptions "
          "about what values to plug into functions.\n\n<tools>\n{tools}\n</tools>\n\n"
          "For each function call return a JSON object with function name and arguments within "
          "<tool_call></tool_call> XML tags as follows:\n<tool_call>\n"
          '{{"name": "function_name", "arguments": {{"arg1": "value1"}}}}\n</tool_call>')


def system_prompt(tools: list[ToolDefinition]) -> str:
    listed = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in tools]
    return SYSTEM.format(tools=json.dumps(listed, indent=2))


def gemma_prompt(text: str, tools: list[ToolDefinition]) -> str:
    """The whole raw prompt, for a local model that is given text rather than chat messages."""
    return (f"<start_of_turn>system\n{system_prompt(tools)}\n<end_of_turn>\n"
            f"<start_of_turn>user\n{text}\n<end_of_turn>\n<start_of_turn>model\n")


def parse_tool_calls(text: str) -> list[ToolCallPart]:
    """Every well-formed <tool_call> block as a call; invalid blocks are skipped, an unclosed one ends the scan."""
    calls: list[ToolCallPart] = []
    pos = 0
    while (start := text.find("<tool_call>", pos)) != -1:
        end = text.find("</tool_call>", start)
        if end == -1:
            break
        pos = end + len("</tool_call>")
        call = _call(text[start + len("<tool_call>"):end].strip())
        if call is not None:
            calls.append(call)
    return calls


def _call(block: str) -> ToolCallPart | None:
    try:
        data = json.loads(block)
    except ValueError:
        log.warning("tool router: skipped a <tool_call> block that is not JSON")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"].strip():
        return None
    arguments = data.get("arguments", {})
    text = arguments if isinstance(arguments, str) else json.dumps(arguments if arguments is not None else {})
    return ToolCallPart(new_call_id(), data["name"].strip(), text)


def new_call_id() -> str:
    return f"fc_{uuid.uuid4()}"
