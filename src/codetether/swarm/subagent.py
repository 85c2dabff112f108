"""Spawn and run one sub-agent: the one agent loop with a shared provider, its own tools, budget and timeout."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.assembly import Parts, Wiring, assemble_agent
from codetether.agent.loop import Agent, AgentResult
from codetether.config.load import Config
from codetether.config.swarm import SwarmConfig
from codetether.errors import CodetetherError
from codetether.provider.model import Message, Usage
from codetether.sandbox import Sandbox
from codetether.swarm.limiter import SharedLimiter
from codetether.swarm.pathlocks import PathLocks
from codetether.swarm.plan import Subtask
from codetether.swarm.store import CURRENT, ResultStore, ShareBinding
from codetether.tool.base import NamedSession, Tool
from codetether.tool.registry import load_tool

# The build agent's tools without interactive, recursive or session-changing ones (question, plan_*, swarm, ralph,
# prd, a2a, task), plus swarm_share (the seed's workspace registry, spec §5.5 item 4).
SUBAGENT_TOOLS = ("read", "list", "glob", "grep", "write", "edit", "multiedit", "apply_patch", "bash", "lsp",
                  "codesearch", "webfetch", "websearch", "batch", "todo_read", "todo_write", "skill", "rlm",
                  "swarm_share")

SYSTEM = """You are a {specialty} specialist sub-agent (ID: {id}) of a CodeTether swarm. You have tools to complete \
your task.

WORKING DIRECTORY: {dir}
All file paths are relative to this directory. {isolation}
You MUST use tools to make changes; do not just describe what to do.

Coordination: use swarm_share to publish findings other sub-agents may need (action publish, with a key and tags) \
and to read theirs (get, list, query_tags). Recursive delegation is unavailable.

When done, reply with a brief evidence summary: what you changed or found, and how you checked it."""

ISOLATED = "It is your own git worktree: your edits are merged into the project when you finish successfully."
SHARED = "Other sub-agents work in the same directory at the same time: touch only the files your task needs."


class BudgetExhausted(CodetetherError):
    pass


@dataclass
class Runtime:
    """Everything sub-agents share: one provider and limiter, loaded tools (MCP ones too), the tool-call router,
    config and prompt parts."""

    cfg: SwarmConfig
    provider: Any
    model: str
    limiter: SharedLimiter
    config: Config
    store: ResultStore
    context_window: int
    instructions: str = ""  # project instructions (AGENTS.md), read once per swarm
    locks: PathLocks | None = None  # shared directory only
    sandbox: Sandbox | None = None  # the swarm's; each sub-agent gets it for its own directory
    tool_calls: int = 0  # across the whole swarm, capped at cfg.max_total_steps
    usage: Usage = field(default_factory=Usage)
    tools: list[Tool] = field(default_factory=list)
    spawn_ns: int = 0  # time spent constructing sub-agents, for the spawn-overhead figure
    spawned: int = 0
    isolation: str | None = None  # how the working directory is shared, when neither ISOLATED nor SHARED fits
    extra_tools: list[Tool] = field(default_factory=list)  # the configured MCP servers' tools
    read_only: str | None = None  # why only read-only tools may run (a worker's --auto-approve safe), or None
    router: Any = None  # the tool-call router, when CODETETHER_TOOL_ROUTER_ENABLED asks for one

    def __post_init__(self) -> None:
        loaded = [load_tool(name) for name in SUBAGENT_TOOLS]
        self.tools = [self.locks.serialise(t) for t in loaded] if self.locks else loaded
        self.tools += self.extra_tools

    def check_budget(self) -> None:
        if self.tool_calls >= self.cfg.max_total_steps:
            raise BudgetExhausted(f"the swarm used its budget of {self.cfg.max_total_steps} tool calls "
                                  "(swarm.max_total_steps)")

    def spawn(self, sub: Subtask, workdir: Path, isolated: bool, sink: ev.EventSink,
              on_message: Callable[[Message], None] | None = None) -> Agent:
        """A ready sub-agent; cheap (no I/O), since everything heavy is shared."""
        started = time.perf_counter_ns()
        prompt = SYSTEM.format(specialty=sub.specialty, id=sub.id, dir=workdir,
                               isolation=self.isolation or (ISOLATED if isolated else SHARED))
        if self.instructions:
            prompt += "\n\n" + self.instructions
        sandbox = self.sandbox.with_root(workdir) if self.sandbox is not None else None
        parts = Parts(self.limiter.wrap(self.provider, self.check_budget), self.model, self.context_window, workdir,
                      workdir, prompt, self.tools, sandbox, "build", label="swarm",
                      max_steps=self.cfg.max_steps_per_subagent, on_demand=False, router=self.router,
                      read_only=self.read_only)
        wiring = Wiring(sink=sink, on_message=on_message, session=NamedSession(f"swarm:{sub.id}"),
                        on_file_change=self.locks.recorder(sub.id) if self.locks is not None else None)
        agent = assemble_agent(self.config, parts, wiring)
        self.spawn_ns += time.perf_counter_ns() - started
        self.spawned += 1
        return agent


@dataclass
class Outcome:
    result: AgentResult | None
    exit_reason: ev.ExitReason
    error: str | None
    attempts: int
    tool_calls: int


def user_prompt(sub: Subtask, context: str) -> str:
    text = f"Complete this task:\n\n{sub.instruction}"
    return text + (f"\n\nContext from prior work:\n{context}" if context else "")


async def run_subagent(rt: Runtime, sub: Subtask, workdir: Path, isolated: bool, context: str,
                       sink: ev.EventSink, reset: Callable[[], Awaitable[None]] | None = None,
                       on_message: Callable[[Message], None] | None = None) -> Outcome:
    """Run with retries: exponential backoff with jitter while the loop did not complete."""
    CURRENT.set(ShareBinding(rt.store, sub.id))  # this task's copy of the context: swarm_share finds its swarm
    calls = [0]

    def counting(event: ev.Event) -> None:
        if isinstance(event, ev.ToolCallStarted):
            calls[0] += 1
            rt.tool_calls += 1
        elif isinstance(event, ev.UsageUpdated):
            rt.usage.add(event.usage)
        sink(event)

    attempt, outcome = 0, None
    while True:
        attempt += 1
        agent = rt.spawn(sub, workdir, isolated, counting, on_message)
        try:
            async with asyncio.timeout(rt.cfg.subagent_timeout_secs):
                result = await agent.run(user_prompt(sub, context))
            reason, error = result.exit_reason, result.error
            if reason is ev.ExitReason.MAX_STEPS:
                error = f"sub-agent hit max steps ({rt.cfg.max_steps_per_subagent})"
        except TimeoutError:
            result, reason = None, ev.ExitReason.TIMED_OUT
            error = f"sub-agent timed out after {rt.cfg.subagent_timeout_secs}s"
        finally:
            if agent.ctx.sandbox is not None:
                agent.ctx.sandbox.close()  # its private /tmp
        if reason == "error" and rt.tool_calls >= rt.cfg.max_total_steps:
            reason = ev.ExitReason.BUDGET  # retrying cannot help: the budget is shared and spent
        outcome = Outcome(result, reason, error, attempt, calls[0])
        if reason in (ev.ExitReason.COMPLETED, ev.ExitReason.BUDGET) or attempt > rt.cfg.max_retries:
            return outcome
        await asyncio.sleep(backoff(attempt, rt.cfg.base_delay_ms, rt.cfg.max_delay_ms))
        if reset is not None:
            await reset()


def backoff(attempt: int, base_ms: int, max_ms: int) -> float:
    """Seconds before retry `attempt`: base × 2^(attempt-1), capped, with ±20% jitter so retries spread out."""
    delay = min(base_ms * 2 ** (attempt - 1), max_ms) / 1000
    return delay * random.uniform(0.8, 1.2)


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
