"""The tool_load tool: offer the schemas of rarely used tools from the next request on."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

if TYPE_CHECKING:
    from codetether.provider.model import Message

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"names": {"type": "array", "items": {"type": "string"}, "description": "Tool names to load"}},
    "required": ["names"],
}


async def run(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    names = [str(n) for n in args["names"]]
    if ctx.tools is None or not names:
        raise ToolError("give the names of the tools to load, e.g. {\"names\": [\"lsp\"]}")
    unknown = ctx.tools.load(names)
    if unknown:
        raise ToolError(f"no tool named {', '.join(unknown)} is available here, nothing loaded; "
                        f"available: {', '.join(ctx.tools.names)}")
    return ToolResult(f"Loaded {', '.join(names)}: their schemas are in your tool list now; call them.",
                      metadata={"loaded": names})


def loaded_in(messages: Iterable[Message]) -> list[str]:
    """Tool names an earlier part of the conversation loaded, so a resumed session offers their schemas again."""
    names: list[str] = []
    for message in messages:
        for call in message.tool_calls if message.role == "assistant" else []:
            if call.name != "tool_load":
                continue
            try:
                wanted = json.loads(call.arguments or "{}").get("names") or []
            except (ValueError, AttributeError):
                continue
            names += [str(n) for n in wanted if isinstance(n, str)]
    return list(dict.fromkeys(names))


TOOL = Tool(name="tool_load", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
