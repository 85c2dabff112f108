"""MCP servers from `[mcp.servers.<name>]` connected as clients; their tools become `mcp__<server>__<tool>`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from codetether.errors import ConfigError
from codetether.tool.base import Tool, ToolContext, ToolError, ToolResult

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None


def parse_servers(raw: Any, source: str) -> list[McpServerConfig]:
    """The `[mcp.servers.<name>]` tables; each needs `command = ["program", "arg", ...]`."""
    if raw is None:
        return []
    servers = raw.get("servers", {}) if isinstance(raw, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f"{source}: [mcp] must hold [mcp.servers.<name>] tables")
    out = []
    for name, table in servers.items():
        where = f"{source}: mcp.servers.{name}"
        if not _NAME.match(name):
            raise ConfigError(f"{where}: server names may use letters, digits, '-' and '_' only")
        command = table.get("command") if isinstance(table, dict) else None
        if not (isinstance(command, list) and command and all(isinstance(c, str) and c for c in command)):
            raise ConfigError(f"{where}.command must be a non-empty list of strings",
                              'e.g. command = ["python", "my_server.py"]')
        env = table.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ConfigError(f"{where}.env must be a table of strings")
        cwd = table.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ConfigError(f"{where}.cwd must be a string")
        out.append(McpServerConfig(name, command, dict(env), cwd))
    return out


class McpConnections:
    """Open client sessions, held by one task so the `mcp` transports are entered and left in the same task."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, servers: list[McpServerConfig]) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._hold(servers, ready))
        await ready  # raises the first connection failure

    async def _hold(self, servers: list[McpServerConfig], ready: asyncio.Future[None]) -> None:
        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        try:
            async with contextlib.AsyncExitStack() as stack:
                for server in servers:
                    params = StdioServerParameters(command=server.command[0], args=server.command[1:],
                                                   env={**os.environ, **server.env}, cwd=server.cwd)
                    try:
                        read, write = await stack.enter_async_context(stdio_client(params))
                        session = await stack.enter_async_context(ClientSession(read, write))
                        await asyncio.wait_for(session.initialize(), 30)
                        listed = await session.list_tools()
                    except Exception as exc:
                        raise ConfigError(f"MCP server '{server.name}' ({' '.join(server.command)}) could not be "
                                          f"started: {type(exc).__name__}: {exc}",
                                          f"Check [mcp.servers.{server.name}] in the config.") from None
                    self.tools += [_wrap(server.name, t, session) for t in listed.tools]
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConfigError("MCP start interrupted"))
            else:
                raise

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)


def _wrap(server: str, tool: Any, session: Any) -> Tool:
    async def run(arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        try:
            result = await session.call_tool(tool.name, arguments)
        except Exception as exc:
            raise ToolError(f"MCP server '{server}' failed: {exc}") from None
        text = "\n".join(getattr(c, "text", None) or f"[{c.type} content]" for c in result.content)
        return ToolResult(text, success=not result.isError, metadata={"mcp_server": server})

    schema = tool.inputSchema if isinstance(tool.inputSchema, dict) else {"type": "object", "properties": {}}
    return Tool(f"mcp__{server}__{tool.name}", tool.description or f"{tool.name} from MCP server {server}",
                schema, run)


async def connect_configured(extra: dict[str, Any], source: str) -> McpConnections | None:
    """Connect every configured server; None (and `mcp` never imported) when none is configured."""
    servers = parse_servers(extra.get("mcp"), source)
    if not servers:
        return None
    connections = McpConnections()
    await connections.start(servers)
    return connections
