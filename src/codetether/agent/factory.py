"""Build a ready Agent for a working directory: model, tools, context and system prompt, in one place."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.agents import AgentSpec, get_agent
from codetether.agent.kit import AgentKit
from codetether.agent.loop import Agent, AgentSettings
from codetether.agent.prompt import build_system_prompt
from codetether.config.load import Config
from codetether.gitinfo import Project, project_for
from codetether.provider.model import Message
from codetether.provider.registry import ResolvedModel, resolve_model
from codetether.sandbox import sandbox_for
from codetether.sandbox.probe import backend
from codetether.tool.base import ToolContext
from codetether.tool.permission import Approvals, PermissionPolicy
from codetether.tool.registry import ToolSet, load_tool


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
                        project: Project | None = None, kit: AgentKit | None = None) -> PreparedAgent:
    """`kit`: what the process's agents share (serve, the worker); without one, everything is this agent's."""
    spec = get_agent(agent_name)
    # Secrets come over the network while the prompt is read from disk and git, and the sandbox is probed.
    if kit is not None and project is None:
        project = await kit.project(cwd)
    prompt_task = asyncio.create_task(asyncio.to_thread(_prompt_and_project, spec, cwd, project))
    probe_task = asyncio.create_task(asyncio.to_thread(backend)) if spec.tools else None
    try:
        resolved = await (kit.model(model_id) if kit is not None else resolve_model(model_id, config))
    finally:
        system_prompt, project = await prompt_task
    root = project.root
    max_steps = max_steps or config.get("session.max_steps") or spec.max_steps
    settings = AgentSettings(model=resolved.model, agent=spec.name, max_steps=max_steps,
                             context_window=resolved.context_window, stream=stream,
                             tool_router=_tool_router(), doom_loop=config.get("session.doom_loop"),
                             repair_calls=config.get("session.repair_tool_calls"),
                             compaction=config.get("session.auto_compact"))
    approvals = approvals or Approvals()
    sandbox = sandbox_for(config, root, spec.name)
    if probe_task is not None:
        await probe_task
        if notice := sandbox.problem() or sandbox.unsandboxed_warning():
            sink(ev.Notice(notice if notice.startswith("warning") else f"warning: {notice}"))
    policy = PermissionPolicy(config.permission, agent=spec.name, assume_yes=approvals.assume_yes,
                              approver=approvals.approver, access_mode=config.get("sandbox.access_mode"),
                              kernel_read_only=probe_task is not None and sandbox.read_only_enforced,
                              read_only_tools=approvals.read_only_tools)
    ctx = ToolContext(root=root, cwd=cwd, policy=policy, config=config, sandbox=sandbox)
    tools = [load_tool(name) for name in spec.tools]
    mcp = None
    if "mcp" in config.extra:  # the mcp package is imported only when servers are configured
        from codetether.mcp.client import connect_configured

        mcp = await connect_configured(config.extra, str(config.path or "config"))
    tools += mcp.tools if mcp else []
    withheld = {}
    if approvals.read_only_tools:  # not offered at all; a call to one is refused with the reason
        withheld = {t.name: approvals.read_only_tools for t in tools if not t.read_only}
        tools = [t for t in tools if t.read_only]
    toolset = ToolSet(tools, on_demand=config.get("tools.on_demand"), withheld=withheld)
    agent = Agent(resolved.provider, toolset, ctx, settings,
                  messages=[Message.text("system", system_prompt)], sink=sink)
    if tools:  # the rlm tool, and oversized webfetch/batch outputs; a chat agent has neither
        from codetether.rlm.router import attach_rlm

        attach_rlm(agent, resolved.provider, resolved.model)
    return PreparedAgent(agent, resolved, spec.name, project, mcp, owns_provider=kit is None)


def _tool_router():
    """The FunctionGemma router when CODETETHER_TOOL_ROUTER_ENABLED asks for it; its modules load only then."""
    import os

    if not os.environ.get("CODETETHER_TOOL_ROUTER_ENABLED"):
        return None
    from codetether.router import router_from_env

    return router_from_env()


def _prompt_and_project(spec: AgentSpec, cwd: Path, project: Project | None) -> tuple[str, Project]:
    project = project or project_for(cwd)
    return build_system_prompt(spec, cwd, project), project
