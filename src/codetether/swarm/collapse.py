"""The collapse controller (spec §8.4): score running branches and stop clearly losing ones early."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from codetether.gitinfo import run_git


@dataclass(frozen=True)
class CollapsePolicy:
    max_invariant_breaks: int = 2
    max_consecutive_compile_failures: int = 1
    max_consecutive_resource_failures: int = 2
    min_resource_health_score: float = 0.35
    min_collapse_score: float = 0.30
    min_score_gap_for_prune: float = 0.15


@dataclass
class Observation:
    subtask_id: str
    compile_ok: bool
    changed_files: set[str]
    changed_lines: int
    resource_health: float = 1.0  # always healthy locally; a pod's comes from its state (k8s/state.py)
    infra_unhealthy_signals: int = 0


@dataclass
class Kill:
    subtask_id: str
    reason: str


@dataclass
class _Branch:
    started: float = field(default_factory=time.monotonic)
    compile_failures: int = 0
    invariant_breaks: int = 0
    resource_failures: int = 0


def observe(subtask_id: str, worktree: Path) -> Observation:
    """`git diff --check` as the cheap compile probe (no build), plus the changed files and lines."""
    check = _git(worktree, "diff", "--check")
    numstat = _git(worktree, "diff", "--numstat").stdout
    status = _git(worktree, "status", "--porcelain", "--untracked-files=all").stdout
    lines = sum(int(a) + int(d) for a, d, *_ in (row.split("\t") for row in numstat.splitlines())
                if a.isdigit() and d.isdigit())
    files = {row[3:].split(" -> ")[-1] for row in status.splitlines() if row.strip()}
    return Observation(subtask_id, check.returncode == 0, files, lines)


class CollapseController:
    def __init__(self, policy: CollapsePolicy | None = None):
        self.policy = policy or CollapsePolicy()
        self._branches: dict[str, _Branch] = {}
        self.promoted: str | None = None

    def score(self, obs: Observation, others: list[Observation]) -> float:
        branch = self._branches.setdefault(obs.subtask_id, _Branch())
        compile_health = 1.0 if obs.compile_ok else 0.0
        overlap = sum(len(obs.changed_files & o.changed_files) for o in others)
        conflict = min(1.0, overlap / len(obs.changed_files)) if obs.changed_files else 0.0
        contract = 1.0 - conflict if obs.compile_ok else 0.0
        elapsed = max(time.monotonic() - branch.started, 1.0)
        velocity = min(1.0, max(0.0, obs.changed_lines / elapsed / 20))
        raw = (0.29 * compile_health + 0.14 * (0.6 if obs.compile_ok else 0.0) + 0.18 * contract
               + 0.14 * (1 - conflict) + 0.08 * velocity + 0.17 * obs.resource_health
               - min(0.1 * branch.invariant_breaks, 0.6))
        return min(1.0, max(0.0, raw))

    def tick(self, observations: list[Observation]) -> list[Kill]:
        """One sample of every active branch: the kills to carry out, never every branch at once."""
        scores: dict[str, float] = {}
        kills: dict[str, str] = {}
        for obs in observations:
            branch = self._branches.setdefault(obs.subtask_id, _Branch())
            if obs.compile_ok:
                branch.compile_failures = 0
            else:
                branch.compile_failures += 1
                branch.invariant_breaks += 1
            if obs.resource_health < self.policy.min_resource_health_score:
                branch.resource_failures += 1
            else:
                branch.resource_failures = 0
            scores[obs.subtask_id] = self.score(obs, [o for o in observations if o is not obs])
            if branch.resource_failures > self.policy.max_consecutive_resource_failures:
                kills[obs.subtask_id] = (f"{branch.resource_failures} consecutive unhealthy resource samples "
                                         f"(health {obs.resource_health:.2f})")
            elif branch.invariant_breaks > self.policy.max_invariant_breaks:
                kills[obs.subtask_id] = f"{branch.invariant_breaks} invariant breaks"
            elif branch.compile_failures > self.policy.max_consecutive_compile_failures:
                kills[obs.subtask_id] = f"{branch.compile_failures} consecutive failed checks (git diff --check)"
        if not scores:
            return []
        best = max(scores, key=lambda s: scores[s])
        kills.pop(best, None)  # spare the best branch, whatever happens
        alive = [s for s in scores if s not in kills]
        if len(alive) >= 2:
            worst = min(alive, key=lambda s: scores[s])
            gap = scores[best] - scores[worst]
            if scores[worst] <= self.policy.min_collapse_score and gap >= self.policy.min_score_gap_for_prune:
                kills[worst] = f"low coherence pruned (score {scores[worst]:.2f} vs best {scores[best]:.2f})"
        self.promoted = best
        return [Kill(s, r) for s, r in kills.items()]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_git(cwd, *args, timeout=30)
