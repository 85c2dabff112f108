"""Build a ready Agent for a working directory: model, tools, context and system prompt, in one place."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from codetether.agent import events as ev
from codetether.agent.agents import AgentSpec, get_agent
from codetether.agent.loop import Agent, AgentSettings
from codetether.agent.prompt import build_system_prompt
from codetether.config.load import Config
from codetether.gitinfo import Project, project_for
from codetether.provider.limits import context_window_for
from codetether.provider.model import Message
from codetether.provider.registry import ResolvedModel, resolve_model
from codetether.tool.base import ToolContext
from codetether.tool.permission import Approvals, PermissionPolicy
from codetether.tool.registry import ToolSet


@dataclass
class PreparedAgent:
    agent: Agent
    resolved: ResolvedModel
    agent_name: str
    project: Project

    async def aclose(self) -> None:
        await self.resolved.provider.aclose()


async def prepare_agent(config: Config, *, model_id: str | None, agent_name: str, cwd: Path,
                        sink: ev.EventSink = ev.discard, max_steps: int | None = None,
                        stream: bool = True, approvals: Approvals | None = None,
                        project: Project | None = None) -> PreparedAgent:
    spec = get_agent(agent_name)
    # Secrets come over the network while the prompt is read from disk and git.
    prompt_task = asyncio.create_task(asyncio.to_thread(_prompt_and_project, spec, cwd, project))
    try:
        resolved = await resolve_model(model_id, config)
    finally:
        system_prompt, project = await prompt_task
    root = project.root
    max_steps = max_steps or config.get("session.max_steps") or spec.max_steps
    settings = AgentSettings(model=resolved.model, agent=spec.name, max_steps=max_steps,
                             context_window=context_window_for(resolved.model), stream=stream)
    approvals = approvals or Approvals()
    policy = PermissionPolicy(config.permission, agent=spec.name, assume_yes=approvals.assume_yes,
                              approver=approvals.approver)
    ctx = ToolContext(root=root, cwd=cwd, policy=policy)
    agent = Agent(resolved.provider, ToolSet.named(spec.tools), ctx, settings,
                  messages=[Message.text("system", system_prompt)], sink=sink)
    return PreparedAgent(agent, resolved, spec.name, project)


def _prompt_and_project(spec: AgentSpec, cwd: Path, project: Project | None) -> tuple[str, Project]:
    project = project or project_for(cwd)
    return build_system_prompt(spec, cwd, project), project
