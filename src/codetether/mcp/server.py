"""`codetether mcp serve`: the tool registry as an MCP server over stdio, built on the official `mcp` package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codetether.tool.base import Tool, ToolContext
from codetether.tool.registry import CORE_TOOLS, load_tool

# Spec §5.6: tools that need a user, a running agent loop or a swarm are not offered to MCP clients.
SKIPPED = frozenset({"question", "invalid", "batch", "confirm_edit", "confirm_multiedit", "plan_enter", "plan_exit",
                     "undo", "swarm_share"})


def served_tools() -> list[Tool]:
    return [load_tool(name) for name in sorted(CORE_TOOLS) if name not in SKIPPED]


def build_server(root: Path) -> Any:
    """An mcp lowlevel Server whose tools run in `root` under the configured permission rules."""
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from codetether import __version__
    from codetether.config.load import load
    from codetether.secrets.redact import redact
    from codetether.tool.registry import ToolSet
    from codetether.tool.support.names import canonical
    from codetether.tool.support.permission import PermissionPolicy

    config = load()
    tools = {t.name: t for t in served_tools()}
    # No one can answer an 'ask' rule over stdio, so such calls are refused with the rule named.
    policy = PermissionPolicy(config.permission, agent="build")
    ctx = ToolContext(root=root, cwd=root, policy=policy, config=config, tools=ToolSet(tools.values(), on_demand=False))
    server: Any = Server("codetether", version=__version__)

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(name=t.name, description=t.description, inputSchema=t.parameters)
                for t in tools.values()]

    @server.call_tool(validate_input=False)  # Tool.execute validates and explains problems to the caller
    async def call_tool(name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        tool = tools.get(canonical(name))  # the seed's names too: read_file, write_file, list_dir, ...
        if tool is None:
            text, ok = f"unknown tool '{name}'. Available tools: {', '.join(sorted(tools))}", False
        else:
            result = await tool.execute(arguments or {}, ctx)
            text, ok = result.output, result.success
        return types.CallToolResult(content=[types.TextContent(type="text", text=redact(text))], isError=not ok)

    return server


async def serve_stdio(root: Path) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(root)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
