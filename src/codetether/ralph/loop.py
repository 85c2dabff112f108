"""The Ralph loop: per iteration a fresh build agent implements one story, then the loop verifies and commits."""

from __future__ import annotations

import asyncio
import datetime
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codetether.agent import events as ev
from codetether.agent.loop import AgentResult
from codetether.config.load import Config
from codetether.provider.model import Usage
from codetether.provider.pricing import cost_usd
from codetether.ralph import events as rl
from codetether.ralph import git, progress
from codetether.ralph.checks import DEFAULT_TIMEOUT, CheckResult, run_checks
from codetether.ralph.prd import Prd, Story
from codetether.ralph.prompt import story_prompt
from codetether.ralph.state import RunState, load_state, run_lock
from codetether.tool.support.fsutil import atomic_write
from codetether.tool.support.permission import Approvals

STEPS_PER_STORY = 50


@dataclass
class RalphOptions:
    prd_path: Path
    model_id: str | None = None
    max_iterations: int = 10
    check_timeout: int = DEFAULT_TIMEOUT
    max_steps: int = STEPS_PER_STORY
    assume_yes: bool = False


@dataclass
class RalphSummary:
    status: str = "running"  # completed | max_iterations | quality_failed | stopped | error
    prd: str = ""
    branch: str = ""
    model: str | None = None
    iterations: int = 0
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # not passing when the run ended
    commits: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    elapsed_s: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "prd": self.prd, "branch": self.branch, "model": self.model,
                "iterations": self.iterations,
                "stories": {"total": len(self.passed) + len(self.failed), "passed": len(self.passed),
                            "failed": len(self.failed), "passed_ids": self.passed, "failed_ids": self.failed},
                "commits": self.commits,
                "tokens": {"prompt": self.usage.prompt_tokens, "completion": self.usage.completion_tokens,
                           "total": self.usage.total_tokens},
                "cost_usd": round(self.cost_usd, 6), "elapsed_s": round(self.elapsed_s, 3), "error": self.error}


class RalphLoop:
    """One run over one PRD; `log` receives progress lines, `sink` the agents' events, `observe` typed events."""

    def __init__(self, config: Config, options: RalphOptions, *, log: Callable[[str], None] = lambda _: None,
                 sink: ev.EventSink = ev.discard, observe: rl.RalphObserver = rl.ignore):
        self.config, self.options, self.log, self.sink, self.observe = config, options, log, sink, observe
        self.path = options.prd_path.resolve()
        self.cwd = self.path.parent
        self.progress_path = self.cwd / "progress.txt"
        self.summary = RalphSummary(prd=str(self.path))
        self._current: tuple[int, Story] | None = None  # the iteration under way, for an interrupted-line

    async def run(self) -> RalphSummary:
        """Run until every story passes, the iteration budget is spent, or the task is cancelled (Ctrl-C)."""
        started = time.monotonic()
        prd = Prd.load(self.options.prd_path)  # a broken PRD stops here, before git or the model are touched
        root = git.repo_root(self.cwd)
        self.summary.branch = prd.branch
        with run_lock(self.path):
            state = load_state(self.path)
            self.log(f"{git.checkout_branch(root, prd.branch)} branch {prd.branch}")
            self.observe(rl.RalphStarted(str(self.path), prd.project, prd.feature, prd.branch, tuple(
                rl.StoryInfo(s.id, s.title, s.passes, s.priority, tuple(s.depends_on)) for s in prd.stories),
                self.options.max_iterations))
            state.last_run = {"status": "running", "pid": os.getpid(), "started_at": _now(), "iterations": 0}
            state.save()
            try:
                await self._iterate(prd, state, root)
            except asyncio.CancelledError:
                self.summary.status = "stopped"
                if self._current:
                    n, story = self._current
                    progress.append(self.progress_path, progress.iteration_line(n, story.id, story.title,
                                                                                "interrupted (Ctrl-C)"))
                self.log("interrupted; the PRD and progress.txt are consistent, re-run to resume")
            except Exception as exc:
                self.summary.status, self.summary.error = "error", getattr(exc, "message", None) or str(exc)
                raise
            finally:
                self.summary.passed = [s.id for s in prd.stories if s.passes]
                self.summary.failed = [s.id for s in prd.stories if not s.passes]
                self.summary.elapsed_s = time.monotonic() - started
                state.last_run.update(status=self.summary.status, ended_at=_now(),
                                      iterations=self.summary.iterations, error=self.summary.error)
                state.save()
                self.observe(rl.RalphDone(self.summary.status, len(self.summary.passed), len(prd.stories),
                                          self.summary.iterations, self.summary.error))
        return self.summary

    async def _iterate(self, prd: Prd, state: RunState, root: Path) -> None:
        while not prd.complete and self.summary.iterations < self.options.max_iterations:
            story = prd.next_story()
            if story is None:  # validation rules out cycles and unknown ids, so this is only defensive
                raise RuntimeError("no story is ready although some do not pass")
            self.summary.iterations += 1
            state.last_run["iterations"] = self.summary.iterations
            if not await self._story(prd, story, state, root):
                self.summary.status = "error"
                return
        if prd.complete:
            self.summary.status = "completed"
            self.log(f"all {len(prd.stories)} stories pass")
        else:
            self.summary.status = "max_iterations" if prd.passed else "quality_failed"
            self.log(f"stopped after {self.summary.iterations} iterations (--max-iterations); "
                     f"{len(prd.passed)}/{len(prd.stories)} stories pass")

    async def _story(self, prd: Prd, story: Story, state: RunState, root: Path) -> bool:
        """One iteration on one story; False when the agent itself failed (provider error) and the run must end."""
        n, record = self.summary.iterations, state.story(story.id)
        self._current = (n, story)
        record.attempts += 1
        state.iterations += 1
        state.save()
        self.log(f"iteration {n}/{self.options.max_iterations} · {story.id} {story.title} (attempt {record.attempts})")
        self.observe(rl.IterationStarted(n, self.options.max_iterations, story.id, record.attempts))
        prompt = story_prompt(prd, story, iteration=n, attempt=record.attempts, prd_file=self.path.name,
                              progress_path=self.progress_path, progress_tail=progress.tail(self.progress_path),
                              git_log=git.recent_log(root), last_failure=record.last_failure)
        ours = self.path.read_bytes()
        try:
            result = await self._agent_turn(prompt)
        finally:
            self._keep_prd(ours)
        if result.exit_reason is ev.ExitReason.ERROR:
            self._failed(state, story, n, f"agent error: {result.error}", f"agent error: {result.error}")
            self.summary.error = result.error
            return False
        if prd.quality_checks:
            report = await run_checks(prd.quality_checks, self.cwd, root, self.options.check_timeout, self._on_check,
                                      self.config)
            ok, text, line = report.passed, report.failure_text(), report.failure_line()
        else:
            ok = f"STORY_COMPLETE: {story.id}" in result.text
            text = line = f"the agent did not report STORY_COMPLETE: {story.id} (no quality checks configured)"
        if ok:
            self._passed(prd, state, story, n, root)
        else:
            self._failed(state, story, n, text, line)
        self._current = None
        return True

    async def _agent_turn(self, prompt: str) -> AgentResult:
        from codetether.session.turn import SessionRun  # imported here: `ralph status` never needs it

        run = await SessionRun.open(self.config, cwd=self.cwd, model_id=self.options.model_id, agent_name="build",
                                    sink=ev.fanout(self.sink, self._story_activity), max_steps=self.options.max_steps,
                                    approvals=Approvals(assume_yes=self.options.assume_yes),
                                    # An iteration starting another Ralph run on the same tree would fight this one.
                                    without_tools=frozenset({"ralph"}))
        try:
            agent = run.prepared.agent
            self.summary.model = run.prepared.resolved.id
            try:
                result = await run.turn(prompt)
            finally:
                self.summary.usage.add(agent.usage)
                self.summary.cost_usd += cost_usd(run.prepared.resolved.model, agent.usage)
            return result
        finally:
            await run.aclose()

    def _keep_prd(self, ours: bytes) -> None:
        """Story state belongs to the loop: if the agent edited the PRD file, put back what the loop wrote."""
        try:
            if self.path.read_bytes() == ours:
                return
        except OSError:
            pass
        atomic_write(self.path, ours)
        self.log(f"the agent changed {self.path.name}; restored it (only the loop marks stories)")

    def _story_activity(self, event: ev.Event) -> None:
        if self._current is not None and isinstance(event, ev.ACTIVITY):
            self.observe(rl.StoryActivity(self._current[1].id, event))

    def _on_check(self, check: CheckResult) -> None:
        mark = "passed" if check.passed else check.headline().removeprefix(f"{check.name} `{check.command}` ")
        self.log(f"check {check.name}: {check.command} → {mark} ({check.seconds:.1f} s)")
        if self._current is not None:
            self.observe(rl.CheckDone(self._current[1].id, check.name, check.command, check.passed, check.seconds,
                                      "" if check.passed else mark))

    def _passed(self, prd: Prd, state: RunState, story: Story, n: int, root: Path) -> None:
        # No await in here: a Ctrl-C lands before or after, never between the PRD write and the commit.
        prd.set_passes(story.id, True)
        prd.save(self.path)
        names = ", ".join(name for name, _ in prd.quality_checks) or "STORY_COMPLETE"
        progress.append(self.progress_path, progress.iteration_line(n, story.id, story.title, f"passed ({names})"))
        message = (f"feat({story.id.lower()}): {story.title}\n\nRalph: story {story.id} passed its quality checks "
                   f"({names}) in iteration {n}.\nPRD: {prd.feature} ({prd.project})")
        try:
            sha = git.commit_all(root, message)
        except git.GitError as exc:
            prd.set_passes(story.id, False)
            prd.save(self.path)
            self._failed(state, story, n, f"The commit failed: {exc.message}", exc.message)
            return
        record = state.story(story.id)
        record.last_failure = record.last_failure_line = None
        state.save()
        self.summary.commits.append(sha)
        self.log(f"{story.id} passes → committed {sha} on {prd.branch}")
        self.observe(rl.StoryPassed(story.id, n, sha))

    def _failed(self, state: RunState, story: Story, n: int, text: str, line: str) -> None:
        record = state.story(story.id)
        record.last_failure, record.last_failure_line = text, line
        state.save()
        progress.append(self.progress_path, progress.iteration_line(n, story.id, story.title, f"failed: {line}"))
        self.log(f"{story.id} failed: {line}")
        self.observe(rl.StoryFailed(story.id, n, line))


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")
