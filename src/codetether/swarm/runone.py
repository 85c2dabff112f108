"""One subtask from start to result: its worktree (or the shared directory), session record and sub-agent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from codetether.agent import events as ev
from codetether.gitinfo import project_for
from codetether.provider.model import Usage
from codetether.provider.pricing import cost_usd
from codetether.session.recorder import TurnRecorder
from codetether.swarm.plan import Subtask
from codetether.swarm.result import SubTaskResult
from codetether.swarm.subagent import Runtime, elapsed_ms, run_subagent
from codetether.swarm.worktree import GitError, Worktrees

if TYPE_CHECKING:
    from codetether.swarm.executor import SwarmExecutor


async def run_one(ex: SwarmExecutor, rt: Runtime, sub: Subtask, context: str, trees: Worktrees | None,
                  stage: int) -> SubTaskResult:
    started = time.monotonic()
    result = SubTaskResult(sub.id, f"agent-{sub.id}", False, "", name=sub.name, stage=stage)
    if trees is not None:
        try:
            workdir = await trees.create(sub.id)
        except GitError as exc:
            result.error = f"could not create a git worktree: {exc}"
            return result
    else:
        workdir = ex.root
    ex.progress.running += 1
    ex.report(f"{sub.id}: started ({sub.name})", ex.progress)
    ex.status(sub.id, "running", stage)
    sink, on_message, finish = ex.event_sink(sub), None, None
    if ex.sessions is not None:
        recorder, finish = await asyncio.to_thread(_record, ex, sub)  # SQLite and git, off the event loop
        result.session_id = recorder.session_id
        sink, on_message = ev.fanout(recorder, sink), recorder.on_message
    reset = (lambda: trees.reset(sub.id)) if trees is not None else None
    try:
        outcome = await run_subagent(rt, sub, workdir, trees is not None, context, sink, reset, on_message)
    finally:
        ex.progress.running -= 1
    agent_result = outcome.result
    result.success = outcome.exit_reason is ev.ExitReason.COMPLETED
    result.result = agent_result.text if agent_result else ""
    result.steps = agent_result.steps if agent_result else 0
    result.tool_calls, result.retry_count, result.error = outcome.tool_calls, outcome.attempts - 1, outcome.error
    if trees is not None:
        result.changed_files = await trees.changed_files(sub.id)
    if finish is not None:
        await asyncio.to_thread(finish, agent_result.usage if agent_result else None, outcome.exit_reason)
    result.execution_time_ms = max(1, elapsed_ms(started))
    if result.success:
        ex.progress.done += 1
    else:
        ex.progress.failed += 1
    ex.status(sub.id, "completed" if result.success else "failed", stage, result,
              None if result.success else result.error or outcome.exit_reason)
    ex.report(f"{sub.id}: {'done' if result.success else 'failed: ' + (result.error or outcome.exit_reason)} "
              f"in {result.execution_time_ms / 1000:.1f}s ({result.steps} steps, {result.tool_calls} tool calls)",
              ex.progress)
    return result


def _record(ex: SwarmExecutor, sub: Subtask) -> tuple[TurnRecorder, Callable[[Usage | None, str], None]]:
    """A session per sub-agent in the shared store (one SQLite connection for the whole swarm)."""
    store, model_id = ex.sessions, ex.resolved.id
    project = ex.project or project_for(ex.root)
    info = store.create(str(project.root), project.id, model_id, "swarm", title=f"swarm {ex.swarm_id}: {sub.name}"[:80])
    number = store.begin_turn(info.id, model_id, "swarm", project.branch)
    recorder = TurnRecorder(store, info.id, number)

    def finish(usage: Usage | None, exit_reason: ev.ExitReason) -> None:
        usage = usage or Usage()
        store.end_turn(info.id, number, usage.prompt_tokens, usage.completion_tokens,
                       cost_usd(ex.resolved.model, usage), exit_reason)

    return recorder, finish


