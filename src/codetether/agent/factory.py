"""Build a ready Agent for a working directory: model, tools, context and system prompt, in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.agents import AgentSpec, get_agent
from codetether.agent.assembly import Parts, Wiring, assemble_agent, tool_router
from codetether.agent.kit import AgentKit
from codetether.agent.loop import Agent
from codetether.agent.prompt import build_system_prompt
from codetether.config.load import Config
from codetether.errors import UsageError
from codetether.gitinfo import Project, project_for
from codetether.provider.model import Message
from codetether.provider.registry import ResolvedModel, resolve_model
from codetether.sandbox import sandbox_for
from codetether.sandbox.probe import backend, probed
from codetether.tool.base import Tool
from codetether.tool.registry import CORE_TOOLS, load_tool
from codetether.tool.support.permission import Approvals


@dataclass
class PreparedAgent:
    agent: Agent
    resolved: ResolvedModel
    agent_name: str
    project: Project
    mcp: Any = None  # codetether.mcp.client.McpConnections, when [mcp.servers] are configured
    owns_provider: bool = True  # False: the provider belongs to an AgentKit other agents share

    async def aclose(self) -> None:
        import sys

        if self.agent.ctx.sandbox is not None:
            self.agent.ctx.sandbox.close()
        if self.owns_provider:
            await self.resolved.provider.aclose()
        if self.agent.settings.tool_router is not None:
            await self.agent.settings.tool_router.aclose()
        if self.mcp is not None:
            await self.mcp.aclose()
        lsp = sys.modules.get("codetether.lsp.manager")  # loaded only if the lsp tool started a server
        if lsp is not None:
            lsp.get_manager().release(self.agent.ctx)  # others may still use them; idle ones shut down later


async def prepare_agent(config: Config, *, model_id: str | None, agent_name: str, cwd: Path,
                        sink: ev.EventSink = ev.discard, max_steps: int | None = None,
                        stream: bool = True, approvals: Approvals | None = None,
                        project: Project | None = None, kit: AgentKit | None = None,
                        wiring: Wiring | None = None, without_tools: frozenset[str] = frozenset(),
                        context_window: int | None = None, history: list[Message] | None = None,
                        tool_names: Sequence[str] | None = None, extra_tools: Sequence[Tool] = ()) -> PreparedAgent:
    """Resolve what an agent needs (model, project, prompt, sandbox, MCP tools) and assemble it.

    `kit`: what the process's agents share (serve, the worker); without one, everything is this agent's.
    `wiring`: where it reports and whom it asks (`sink` and `approvals` alone, for the simple callers).
    `without_tools`: tools this agent must not have (a Ralph iteration's `ralph`). `context_window`: a smaller
    window a provider stated earlier in this session. `history`: the conversation it continues.
    `tool_names`: the built-in tools it gets instead of its kind's own; `extra_tools`: more (Python functions)."""
    spec = get_agent(agent_name)
    wiring = wiring or Wiring(sink=sink, approvals=approvals or Approvals())
    # Secrets come over the network while the prompt is read from disk and git, and the sandbox is probed.
    if kit is not None and project is None:
        project = await kit.project(cwd)
    prompt_task = asyncio.ensure_future(_prompt_and_project(spec, cwd, project, kit))
    probe_task = asyncio.ensure_future(asyncio.to_thread(backend)) if spec.tools and not probed() else None
    try:
        resolved = await (kit.model(model_id) if kit is not None else resolve_model(model_id, config))
    finally:
        system_prompt, project = await prompt_task
    sandbox = sandbox_for(config, project.root, spec.name, await kit.protected(project.root) if kit else None)
    if spec.tools:
        if probe_task is not None:
            await probe_task
        if notice := sandbox.problem() or sandbox.unsandboxed_warning():
            wiring.sink(ev.Notice(notice if notice.startswith("warning") else f"warning: {notice}"))
    names = spec.tools if tool_names is None else known_tools(tool_names)
    tools = [load_tool(name) for name in names if name not in without_tools] + list(extra_tools)
    mcp = await connect_mcp(config)
    window = min(context_window or resolved.context_window, resolved.context_window)
    parts = Parts(resolved.provider, resolved.model, window, project.root, cwd, system_prompt,
                  tools + (mcp.tools if mcp else []), sandbox, spec.name,
                  max_steps=max_steps or config.get("session.max_steps") or spec.max_steps, stream=stream,
                  kernel_read_only=bool(spec.tools) and sandbox.read_only_enforced,
                  on_demand=config.get("tools.on_demand"), rlm=bool(tools), router=tool_router(),
                  history=history or [])
    agent = assemble_agent(config, parts, wiring)
    return PreparedAgent(agent, resolved, spec.name, project, mcp, owns_provider=kit is None)


async def connect_mcp(config: Config) -> Any:
    """The configured MCP servers, connected (McpConnections), or None; the mcp package loads only then."""
    if "mcp" not in config.extra:
        return None
    from codetether.mcp.client import connect_configured

    return await connect_configured(config.extra, str(config.path or "config"))


def known_tools(names: Sequence[str]) -> list[str]:
    """`names` checked against the built-in tools; an unknown one is a usage error listing them."""
    unknown = [n for n in names if n not in CORE_TOOLS]
    if unknown:
        raise UsageError(f"unknown tool{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                         f"Built-in tools: {', '.join(sorted(CORE_TOOLS))}.")
    return list(dict.fromkeys(names))


async def _prompt_and_project(spec: AgentSpec, cwd: Path, project: Project | None,
                              kit: AgentKit | None) -> tuple[str, Project]:
    """The system prompt (the kit's, when there is one: AGENTS.md read at most every PROJECT_TTL) and the project."""
    if kit is not None and project is not None:
        return await kit.prompt(spec, cwd, project), project

    def build() -> tuple[str, Project]:
        known = project or project_for(cwd)
        return build_system_prompt(spec, cwd, known), known

    return await asyncio.to_thread(build)
