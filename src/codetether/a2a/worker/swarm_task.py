"""A platform task whose agent_type is swarm / parallel / multi-agent: the real swarm, streamed as the spec's
`[swarm] …` lines (§11.7), reported with the aggregated result."""

from __future__ import annotations

from collections.abc import Callable

from codetether.a2a.worker.outcome import Outcome, record_exchange
from codetether.a2a.worker.tasks import TaskSpec
from codetether.agent import events as ev
from codetether.config.load import Config
from codetether.swarm import events as sw

# The spec's decomposition names and ours.
STRATEGIES = {"none": "none", "single": "none", "domain": "domain", "by_domain": "domain", "data": "data",
              "by_data": "data", "stage": "stage", "by_stage": "stage"}
_NAMES = {"auto": "Automatic", "none": "None", "domain": "ByDomain", "data": "ByData", "stage": "ByStage"}


def strategy_of(name: str | None) -> str:
    return STRATEGIES.get((name or "").strip().lower(), "auto")


class SwarmLines:
    """Turns swarm events into the spec's stream lines."""

    def __init__(self, put: Callable[[str], None]):
        self.put = put

    def __call__(self, event: sw.SwarmEvent) -> None:
        if isinstance(event, sw.SwarmStarted):
            self.put(f"[swarm] started task={_one_line(event.task, 120)} planned_subtasks={len(event.subtasks)}")
        elif isinstance(event, sw.StageDone):
            self.put(f"[swarm] stage={event.stage} completed={event.completed} failed={event.failed}")
        elif isinstance(event, sw.SubtaskStatus):
            self.put(f"[swarm] subtask id={event.subtask_id[:8]} status={event.status}")
            if event.error:
                self.put(f"[swarm] subtask id={event.subtask_id[:8]} error={_one_line(event.error, 300)}")
        elif isinstance(event, sw.SubtaskActivity) and isinstance(event.event, ev.ToolCallStarted):
            self.put(f"[swarm] subtask id={event.subtask_id[:8]} tool={event.event.name}")
        elif isinstance(event, sw.SwarmDone):
            self.put(f"[swarm] complete success={str(event.success).lower()} subtasks={event.subtasks} "
                     f"speedup={event.speedup:.2f}")


async def run_swarm_task(task: TaskSpec, config: Config, put: Callable[[str], None],
                         read_only: str | None) -> Outcome:
    """`read_only` (the worker's --auto-approve safe/none): sub-agents get read-only tools and no worktrees."""
    from codetether.config.swarm import swarm_config
    from codetether.swarm.runner import run_swarm

    o, route = task.swarm, task.routing
    strategy = strategy_of(o.strategy)
    cfg = swarm_config(config.extra, str(config.path or "config")).with_overrides(
        max_subagents=o.max_subagents, max_steps_per_subagent=o.max_steps, subagent_timeout_secs=o.timeout_secs,
        parallel_enabled=o.parallel, worktree_enabled=False if read_only else None)
    put(f"[swarm] routing complexity={route.complexity or 'standard'} tier={route.tier} "
        f"personality={task.personality or 'auto'} target_agent={task.target_agent or 'auto'}")
    put(f"[swarm] config strategy={_NAMES[strategy]} max_subagents={cfg.max_subagents} "
        f"max_steps={cfg.max_steps_per_subagent} timeout={cfg.subagent_timeout_secs}s tier={route.tier}")
    try:
        result = await run_swarm(config, cfg, task.prompt, strategy=strategy, cwd=task.workspace,
                                 model_id=task.model, observe=SwarmLines(put), read_only=read_only)
    except Exception as exc:
        put(f"[swarm] error message={_one_line(getattr(exc, 'message', None) or str(exc), 300)}")
        raise
    text = result.result.strip() or ("Swarm completed without textual output." if result.success
                                      else "Swarm finished with failures and no textual output.")
    session_id = record_exchange(task, "swarm", text)
    if result.success:
        return Outcome("completed", text, None, session_id)
    return Outcome("failed", text, f"Swarm execution completed with failures: {result.error or 'see the result'}",
                   session_id)


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
