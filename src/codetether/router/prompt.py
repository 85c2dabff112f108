"""The FunctionGemma prompt and the parser for the <tool_call> blocks it answers with (spec §14)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from codetether.provider.model import ToolCallPart, ToolDefinition
from codetether.provider.text_tools import parse_reply

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
    """Every well-formed <tool_call> block as a call (the same parser as text-protocol providers)."""
    return [replace(c, id=new_call_id()) for c in parse_reply(text, unclosed=False).calls]  # the router's ids are fc_...


def new_call_id() -> str:
    return f"fc_{uuid.uuid4()}"
