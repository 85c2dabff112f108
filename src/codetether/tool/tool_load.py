"""The tool_load tool: offer the schemas of rarely used tools from the next request on."""

from __future__ import annotations

from typing import Any

from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult, description_for

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


TOOL = Tool(name="tool_load", description=description_for(__file__), parameters=PARAMETERS, run=run, read_only=True)
