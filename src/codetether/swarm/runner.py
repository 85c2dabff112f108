"""One entry point for front ends (CLI, the swarm tool): config, model, session store, executor, cleanup."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codetether.agent.assembly import tool_router
from codetether.agent.factory import connect_mcp
from codetether.config.load import Config
from codetether.config.swarm import STRATEGIES, SwarmConfig
from codetether.errors import UsageError
from codetether.gitinfo import project_for
from codetether.provider.registry import resolve_model
from codetether.secrets import sealed
from codetether.session.store import SessionStore
from codetether.swarm.events import SwarmObserver, ignore
from codetether.swarm.executor import Reporter, SwarmExecutor, quiet
from codetether.swarm.result import SwarmResult


async def run_swarm(config: Config, cfg: SwarmConfig, task: str, *, strategy: str = "auto", cwd: Path,
                    model_id: str | None = None, report: Reporter = quiet, observe: SwarmObserver = ignore,
                    read_only: str | None = None) -> SwarmResult:
    """Run a whole swarm in the project around cwd; worktrees and the provider are closed however it ends.
    `read_only`: why sub-agents may use read-only tools only (a worker's --auto-approve safe), or None."""
    task = task.strip()
    if not task:
        raise UsageError("the task is empty", 'Example: codetether swarm "add tests for every module in src/"')
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy '{strategy}'", f"Choose one of: {', '.join(STRATEGIES)}")
    root = Path(cfg.working_dir).expanduser().resolve() if cfg.working_dir else \
        (await asyncio.to_thread(project_for, cwd)).root
    if not root.is_dir():
        raise UsageError(f"swarm.working_dir {root} is not a directory", "Fix [swarm] working_dir in the config.")
    pod_env = dict(sealed.environ()) if cfg.execution_mode == "k8s" else None  # sealed credentials included
    resolved = await resolve_model(model_id or cfg.model, config)
    sessions = SessionStore() if cfg.record_sessions else None
    mcp, router = None, tool_router()
    try:
        mcp = await connect_mcp(config)  # what a `run` in this project could use, sub-agents can too
        executor = SwarmExecutor(cfg, resolved, config, root, report, sessions, pod_env=pod_env, on_event=observe,
                                 read_only=read_only, extra_tools=mcp.tools if mcp else [], router=router)
        return await executor.execute(task, strategy)
    finally:
        await resolved.provider.aclose()
        if sessions is not None:
            sessions.close()
        if mcp is not None:
            await mcp.aclose()
        if router is not None:
            await router.aclose()
