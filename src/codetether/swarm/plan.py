"""Subtasks and their dependency graph: validation, repair, stages by depth and the critical path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class PlanError(ValueError):
    """A decomposition that cannot be used as given; the message is shown to the model on the retry."""


@dataclass
class Subtask:
    id: str
    name: str
    instruction: str
    specialty: str = "Generalist"
    dependencies: list[str] = field(default_factory=list)  # subtask ids
    priority: int = 0
    stage: int = 0
    needs_worktree: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Plan:
    subtasks: list[Subtask]
    notes: list[str] = field(default_factory=list)  # repairs applied, fallbacks taken
    fallback: bool = False

    @property
    def stage_count(self) -> int:
        return max((s.stage for s in self.subtasks), default=-1) + 1

    def stage(self, n: int) -> list[Subtask]:
        return sorted((s for s in self.subtasks if s.stage == n), key=lambda s: -s.priority)

    def critical_path(self) -> list[str]:
        """The longest dependency chain, as subtask ids from first to last."""
        by_id = {s.id: s for s in self.subtasks}
        best: dict[str, list[str]] = {}
        for sub in sorted(self.subtasks, key=lambda s: s.stage):
            chains = [best[d] for d in sub.dependencies if d in best]
            best[sub.id] = max(chains, key=len, default=[]) + [sub.id]
        return max(best.values(), key=len, default=[]) if by_id else []


def single_task(task: str, note: str | None = None) -> Plan:
    return Plan([Subtask("subtask-1", "Main Task", task, "Generalist")], [note] if note else [], fallback=bool(note))


def plan_from_data(data: Any, max_subagents: int) -> Plan:
    """Validate parsed JSON; structural problems raise PlanError, graph problems are repaired and noted."""
    items = data.get("subtasks") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(items, list):
        raise PlanError('the JSON must be an object with a "subtasks" array')
    if not items:
        raise PlanError('the "subtasks" array is empty; give at least one subtask')
    if len(items) > max_subagents:
        raise PlanError(f'there are {len(items)} subtasks, but at most {max_subagents} are allowed; merge some')
    subtasks, refs, notes = [], {}, []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise PlanError(f"subtask {n} must be a JSON object")
        instruction = item.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise PlanError(f'subtask {n} needs a non-empty string "instruction"')
        name = str(item.get("name") or f"Subtask {n}").strip()
        sid = _unique(_slug(str(item.get("id") or f"subtask-{n}")), {s.id for s in subtasks})
        priority = item.get("priority", 0)
        sub = Subtask(sid, name, instruction.strip(), str(item.get("specialty") or "Generalist"),
                      priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
                      needs_worktree=item.get("needs_worktree") if isinstance(item.get("needs_worktree"), bool)
                      else None)
        subtasks.append(sub)
        for ref in (item.get("id"), name, sid):
            if isinstance(ref, str | int) and str(ref) not in refs:
                refs[str(ref)] = sid
    for sub, item in zip(subtasks, items, strict=True):
        deps = item.get("dependencies") or []
        for dep in deps if isinstance(deps, list) else [deps]:
            target = refs.get(str(dep))
            if target is None:
                notes.append(f"{sub.id}: dropped unknown dependency {dep!r}")
            elif target == sub.id:
                notes.append(f"{sub.id}: dropped its dependency on itself")
            elif target not in sub.dependencies:
                sub.dependencies.append(target)
    notes += _break_cycles(subtasks)
    assign_stages(subtasks)
    return Plan(subtasks, notes)


def _break_cycles(subtasks: list[Subtask]) -> list[str]:
    """Drop the dependency edges that close a cycle (depth-first back edges), noting each."""
    by_id = {s.id: s for s in subtasks}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    notes: list[str] = []

    def visit(sub: Subtask) -> None:
        state[sub.id] = 1
        for dep in list(sub.dependencies):
            if state.get(dep) == 1:
                sub.dependencies.remove(dep)
                notes.append(f"{sub.id}: dropped dependency on {dep} to break a dependency cycle")
            elif dep not in state:
                visit(by_id[dep])
        state[sub.id] = 2

    for sub in subtasks:
        if sub.id not in state:
            visit(sub)
    return notes


def assign_stages(subtasks: list[Subtask]) -> None:
    """Stage = 1 + the deepest dependency's stage (0 without dependencies); the graph must be acyclic."""
    by_id = {s.id: s for s in subtasks}
    memo: dict[str, int] = {}

    def depth(sid: str) -> int:
        if sid not in memo:
            memo[sid] = 1 + max((depth(d) for d in by_id[sid].dependencies), default=-1)
        return memo[sid]

    for sub in subtasks:
        sub.stage = depth(sub.id)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:48] or "subtask"


def _unique(sid: str, taken: set[str]) -> str:
    n, candidate = 2, sid
    while candidate in taken:
        candidate, n = f"{sid}-{n}", n + 1
    return candidate
