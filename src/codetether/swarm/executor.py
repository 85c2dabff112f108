"""Run a swarm: decompose, run each stage's sub-agents concurrently, merge their work, report the SwarmResult."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetether.agent import events as ev
from codetether.agent.prompt import project_instructions
from codetether.config.load import Config
from codetether.config.swarm import SwarmConfig
from codetether.gitinfo import Project, git_lines, project_for
from codetether.provider.limits import context_window_for
from codetether.provider.model import Usage
from codetether.provider.registry import ResolvedModel
from codetether.sandbox import sandbox_for
from codetether.session.store import SessionStore
from codetether.swarm import events as sw
from codetether.swarm.cache import ResultCache, workspace_state
from codetether.swarm.collapse import CollapseController, Observation, observe
from codetether.swarm.decompose import decompose
from codetether.swarm.limiter import SharedLimiter
from codetether.swarm.pathlocks import PathLocks
from codetether.swarm.plan import Plan, Subtask
from codetether.swarm.result import (
    StageStats,
    SubTaskResult,
    SwarmArtifact,
    SwarmResult,
    SwarmStats,
    aggregate,
)
from codetether.swarm.runone import run_one
from codetether.swarm.store import ResultStore
from codetether.swarm.subagent import Runtime, elapsed_ms
from codetether.swarm.worktree import Worktrees, git_unusable

if TYPE_CHECKING:
    from codetether.swarm.k8s.client import PodApi
    from codetether.tool.base import Tool

_DIRTY = ("status", "--porcelain", "--untracked-files=no")


@dataclass
class Progress:
    stage: int = 0
    stages: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    tool_calls: int = 0
    tokens: int = 0

    def line(self) -> str:
        return (f"stage {self.stage + 1}/{max(self.stages, 1)} | running {self.running}, done {self.done}, "
                f"failed {self.failed} | tool calls {self.tool_calls} | tokens {self.tokens}")


Reporter = Callable[[str, Progress], None]


def quiet(_message: str, _progress: Progress) -> None:
    """A reporter that shows nothing."""


@dataclass
class SwarmExecutor:
    cfg: SwarmConfig
    resolved: ResolvedModel
    config: Config
    root: Path
    report: Reporter = quiet
    sessions: SessionStore | None = None  # one record per sub-agent when given
    swarm_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    progress: Progress = field(default_factory=Progress)
    artifacts: list[SwarmArtifact] = field(default_factory=list)
    plan: Plan | None = None
    project: Project | None = None  # for the sub-agents' session records
    pod_env: dict[str, str] | None = None  # pod mode: the environment pods get their pass-through values from
    on_event: sw.SwarmObserver = sw.ignore  # typed events for views that follow each sub-agent
    read_only: str | None = None  # why sub-agents may run read-only tools only (a worker's --auto-approve safe)
    extra_tools: list[Tool] = field(default_factory=list)  # the configured MCP servers' tools, for every sub-agent
    router: Any = None  # the tool-call router sub-agents share, when one is enabled

    async def execute(self, task: str, strategy: str) -> SwarmResult:
        started = time.monotonic()
        limiter = SharedLimiter(self.cfg.max_concurrent_requests, self.cfg.request_delay_ms, self.cfg.max_delay_ms)
        limiter.attach(self.resolved.provider)
        usage = Usage()
        pods = await self._connect_pods() if self.cfg.execution_mode == "k8s" else None
        try:
            return await self._execute(task, strategy, started, limiter, usage, pods)
        finally:
            if pods is not None:
                await self._close_pods(pods)

    async def _execute(self, task: str, strategy: str, started: float, limiter: SharedLimiter, usage: Usage,
                       pods: PodApi | None) -> SwarmResult:
        if self.sessions is not None and self.project is None:
            self.project = await asyncio.to_thread(project_for, self.root)
        self.report("decomposing the task", self.progress)
        plan = self.plan = await decompose(limiter.wrap(self.resolved.provider), self.resolved.model, task, strategy,
                                           self.cfg.max_subagents, usage)
        self.progress.stages = plan.stage_count
        for note in plan.notes:
            self.report(f"note: {note}", self.progress)
        self.report(f"{len(plan.subtasks)} subtask(s) in {plan.stage_count} stage(s)", self.progress)
        self.on_event(sw.SwarmStarted(task, tuple(sw.PlannedSubtask(s.id, s.name, s.instruction, s.specialty, s.stage,
                                                                    tuple(s.dependencies)) for s in plan.subtasks)))
        why_shared = git_unusable(self.root) if self.cfg.worktree_enabled else "worktrees are turned off"
        if pods is not None:
            why_shared = "pods"  # each pod has its own filesystem: no local worktree, nothing to merge back
        trees = Worktrees(self.root, self.swarm_id) if why_shared is None else None
        notes = list(plan.notes)
        if pods is not None:
            notes.append(f"sub-agents ran in Kubernetes pods in namespace {pods.namespace}; file changes they made "
                         "stayed in their pods and were not merged into the project")
        elif why_shared and len(plan.subtasks) > 1:
            notes.append(f"sub-agents shared {self.root} ({why_shared}); writes to one file were serialised")
        elif trees is not None and (await asyncio.to_thread(git_lines, self.root, _DIRTY))[0]:
            notes.append("the main tree has uncommitted changes: sub-agents started from the last commit and do "
                         "not see them (commit first, or use --no-worktree)")
        for note in notes[len(plan.notes):]:
            self.report(f"note: {note}", self.progress)
        rt = Runtime(self.cfg, self.resolved.provider, self.resolved.model, limiter, self.config,
                     ResultStore(), context_window_for(self.resolved.model),
                     project_instructions(self.root, self.root), None if trees or pods else PathLocks(),
                     sandbox=sandbox_for(self.config, self.root), read_only=self.read_only,
                     extra_tools=self.extra_tools, router=self.router)
        cache = ResultCache(self.cfg.cache_ttl_secs, enabled=self.cfg.cache_enabled)
        stats, results, error = SwarmStats(critical_path=plan.critical_path()), [], None
        try:
            if trees is not None:
                await trees.start()
            for n in range(plan.stage_count):
                stage_started = time.monotonic()
                self.progress.stage = n
                stage_results = await self._stage(rt, plan, n, results, trees, cache, pods)
                results += stage_results
                ok = sum(r.success for r in stage_results)
                self.on_event(sw.StageDone(n, ok, len(stage_results) - ok))
                steps = [r.steps for r in stage_results] or [0]
                stats.stages.append(StageStats(n, len(stage_results), max(steps), sum(steps),
                                               elapsed_ms(stage_started)))
            if trees is not None:
                error = await trees.publish()
        finally:
            kept = trees.cleanup() if trees is not None else []
        for branch in kept:
            self.artifacts.append(SwarmArtifact("branch", branch, f"kept branch {branch}", None, None))
        if rt.locks is not None:
            for path, writers in rt.locks.shared_writes().items():
                self.artifacts.append(SwarmArtifact("shared_write", str(path),
                                                    f"written by {', '.join(writers)} (shared directory)"))
        usage.add(rt.usage)
        stats.subagents_spawned = sum(not r.cached and r.execution_time_ms > 0 for r in results)
        stats.rate_limit_stats = limiter.stats.to_dict()
        stats.spawn_ms_per_agent = round(rt.spawn_ns / rt.spawned / 1e6, 3) if rt.spawned else 0.0
        stats.cache_hits, stats.cache_misses = cache.stats.hits, cache.stats.misses
        stats.prompt_tokens, stats.completion_tokens = usage.prompt_tokens, usage.completion_tokens
        stats.finish(results, elapsed_ms(started))
        success = bool(results) and all(r.success for r in results) and error is None
        failed = [r for r in results if not r.success]
        if error is None and failed:
            error = f"Swarm incomplete: {len(results) - len(failed)}/{len(results)} subtasks succeeded, " \
                    f"{len(failed)} failed"
        self.on_event(sw.SwarmDone(success, len(results), stats.subagents_completed, stats.subagents_failed,
                                  stats.total_tool_calls, stats.execution_time_ms, stats.speedup_factor, error))
        return SwarmResult(success, aggregate(results), results, stats, self.artifacts, error, notes)

    async def _stage(self, rt: Runtime, plan: Plan, n: int, earlier: list[SubTaskResult], trees: Worktrees | None,
                     cache: ResultCache, pods: PodApi | None = None) -> list[SubTaskResult]:
        by_id = {r.subtask_id: r for r in earlier}
        results: list[SubTaskResult] = []
        state = await asyncio.to_thread(workspace_state, trees.integration if trees else self.root)
        jobs: dict[str, tuple[Subtask, str, str]] = {}
        for sub in plan.stage(n):
            failed = [d for d in sub.dependencies if not by_id.get(d) or not by_id[d].success]
            if failed:
                results.append(SubTaskResult(sub.id, f"agent-{sub.id}", False, "", name=sub.name, stage=n,
                                             error=f"skipped: dependency {', '.join(failed)} failed"))
                self.status(sub.id, "skipped", n, error=results[-1].error)
                continue
            context = "".join(f"\n--- Result from dependency {d} ---\n{by_id[d].result}\n" for d in sub.dependencies)
            key = cache.key(sub.instruction, self.resolved.id, state, context)
            hit = cache.get(key)
            if hit is not None:
                results.append(SubTaskResult(**{**hit, "cached": True, "stage": n}))
                self.report(f"{sub.id}: served from the cache", self.progress)
                self.status(sub.id, "cached", n)
                continue
            jobs[sub.id] = (sub, context, key)
        width = max(len(jobs), 1) if self.cfg.parallel_enabled else 1
        gate = asyncio.Semaphore(min(width, self.cfg.k8s_pod_budget) if pods is not None else width)

        async def gated(sub: Subtask, context: str) -> SubTaskResult:
            async with gate:  # parallel_enabled = false: one sub-agent at a time; pods: at most the budget
                if pods is not None:
                    from codetether.swarm.k8s.stage import run_pod

                    return await run_pod(self, rt, pods, sub, context, n)
                return await run_one(self, rt, sub, context, trees, n)

        tasks = {sid: asyncio.create_task(gated(sub, context)) for sid, (sub, context, _key) in jobs.items()}
        killed = await self._wait(tasks, trees, pods)
        done: list[SubTaskResult] = []
        for sid, job in tasks.items():
            sub = jobs[sid][0]
            if sid in killed:
                done.append(SubTaskResult(sid, f"agent-{sid}", False, "", name=sub.name, stage=n,
                                          error=f"Cancelled by collapse controller: {killed[sid]}"))
                self.status(sid, "stopped", n, error=done[-1].error)
            else:
                done.append(job.result())
        for result in done:  # merge in plan order, so a conflict is reported on the later subtask
            if trees is not None and result.success and self.cfg.worktree_auto_merge:
                await self._merge(trees, result)
            if result.success and not result.changed_files:
                cache.put(jobs[result.subtask_id][2], _cacheable(result))  # edits cannot be replayed from a cache
        results += done
        for r in results:
            rt.store.publish(r.subtask_id, r.subagent_id, r.result, [f"stage:{n}", f"subtask:{r.subtask_id}"])
        return results

    async def _wait(self, tasks: dict[str, asyncio.Task[SubTaskResult]], trees: Worktrees | None,
                    pods: PodApi | None = None) -> dict[str, str]:
        """Wait for every sub-agent; with the collapse controller on, sample branches and stop losing ones."""
        killed: dict[str, str] = {}
        observable = trees is not None or pods is not None
        controller = CollapseController() if self.cfg.collapse_enabled and observable and len(tasks) > 1 else None
        pending = set(tasks.values())
        try:
            while pending:
                _done, pending = await asyncio.wait(pending, timeout=self.cfg.collapse_sample_secs if controller
                                                    else None)
                if controller is None or len(pending) < 2:
                    continue
                observations = await self._observe([sid for sid, t in tasks.items() if t in pending], trees, pods)
                for kill in controller.tick(observations):
                    if not tasks[kill.subtask_id].cancel():
                        continue  # it finished meanwhile: its result stands
                    killed[kill.subtask_id] = kill.reason
                    self.report(f"{kill.subtask_id}: stopped by the collapse controller ({kill.reason})",
                                self.progress)
        finally:
            for t in pending:
                t.cancel()  # on Ctrl-C or an error: no sub-agent outlives the stage
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        return killed

    async def _observe(self, active: list[str], trees: Worktrees | None, pods: PodApi | None) -> list[Observation]:
        if pods is not None:
            from codetether.swarm.k8s.podspec import pod_name
            from codetether.swarm.k8s.stage import observe_pods

            return await observe_pods(pods, {sid: pod_name(self.swarm_id, sid) for sid in active})
        assert trees is not None
        return await asyncio.to_thread(_observe_all, trees, [sid for sid in active if sid in trees.paths])

    async def _connect_pods(self) -> PodApi:
        from codetether.swarm.k8s.client import PodApi

        pods = await PodApi.connect(self.pod_env)
        self.report(f"pod mode: namespace {pods.namespace} at {pods.server}, at most {self.cfg.k8s_pod_budget} "
                    "pod(s) at once", self.progress)
        return pods

    async def _close_pods(self, pods: PodApi) -> None:
        """Whatever way the swarm ended, none of its pods stays behind."""
        from codetether.swarm.k8s.client import K8sError
        from codetether.swarm.k8s.podspec import label_value
        from codetether.swarm.k8s.stage import sweep

        try:
            left = await asyncio.shield(sweep(pods, label_value(self.swarm_id)))
            if left:
                self.report(f"deleted {len(left)} leftover pod(s): {', '.join(left)}", self.progress)
        except K8sError as exc:
            self.report(f"warning: could not check for leftover pods: {exc.message} (kubectl delete pods -n "
                        f"{pods.namespace} -l codetether.run/swarm-id={self.swarm_id})", self.progress)
        finally:
            await pods.aclose()

    async def _merge(self, trees: Worktrees, result: SubTaskResult) -> None:
        outcome = await trees.merge(result.subtask_id, result.name)
        result.merge = {"status": outcome.status, "branch": outcome.branch, "files": outcome.files,
                        "conflicts": outcome.conflicts}
        if outcome.status == "conflict":
            result.success = False
            result.error = (f"merge conflict in {', '.join(outcome.conflicts)}; the changes are kept on branch "
                            f"{outcome.branch}")
            self.artifacts.append(SwarmArtifact("merge_conflict", outcome.branch, "\n".join(outcome.conflicts),
                                                result.subagent_id))
            self.report(f"{result.subtask_id}: {result.error}", self.progress)
        elif outcome.status == "merged":
            self.artifacts.append(SwarmArtifact("file_changes", result.subtask_id, "\n".join(outcome.files),
                                                result.subagent_id, "text/plain"))

    def event_sink(self, sub: Subtask) -> ev.EventSink:
        def sink(event: ev.Event) -> None:
            if isinstance(event, ev.ToolCallStarted):
                self.progress.tool_calls += 1
                self.report(f"{sub.id}: {event.name}", self.progress)
            elif isinstance(event, ev.UsageUpdated):
                self.progress.tokens += event.usage.total_tokens
            if isinstance(event, ev.ACTIVITY):
                self.on_event(sw.SubtaskActivity(sub.id, event))

        return sink

    def status(self, subtask_id: str, status: str, stage: int, result: SubTaskResult | None = None,
               error: str | None = None) -> None:
        """Tell the observer where a subtask stands (running, completed, failed, cached, skipped, stopped)."""
        steps, calls = (result.steps, result.tool_calls) if result else (0, 0)
        self.on_event(sw.SubtaskStatus(subtask_id, status, stage, steps, calls, error or (result.error if result
                                                                                        else None)))


def _observe_all(trees: Worktrees, subtask_ids: list[str]) -> list[Observation]:
    return [observe(s, trees.paths[s]) for s in subtask_ids]


def _cacheable(result: SubTaskResult) -> dict[str, object]:
    data = dict(result.__dict__)
    data.update(merge=None, session_id=None, cached=False)
    return data
