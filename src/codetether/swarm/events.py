"""What a running swarm tells its watchers (the TUI's swarm view, the worker's stream), as typed events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codetether.agent import events as ev


@dataclass(frozen=True)
class PlannedSubtask:
    id: str
    name: str
    instruction: str
    specialty: str
    stage: int
    dependencies: tuple[str, ...]


@dataclass(frozen=True)
class SwarmStarted:
    task: str
    subtasks: tuple[PlannedSubtask, ...]


@dataclass(frozen=True)
class SubtaskStatus:
    """running | completed | failed | cached | skipped | stopped; `error` says why a subtask did not complete."""

    subtask_id: str
    status: str
    stage: int
    steps: int = 0
    tool_calls: int = 0
    error: str | None = None


@dataclass(frozen=True)
class SubtaskActivity:
    """One of a sub-agent's own agent events: tool calls with their input and output, its messages."""

    subtask_id: str
    event: ev.Event


@dataclass(frozen=True)
class StageDone:
    stage: int
    completed: int
    failed: int


@dataclass(frozen=True)
class SwarmDone:
    success: bool
    subtasks: int
    completed: int
    failed: int
    tool_calls: int
    elapsed_ms: int
    speedup: float
    error: str | None = None


SwarmEvent = SwarmStarted | SubtaskStatus | SubtaskActivity | StageDone | SwarmDone
SwarmObserver = Callable[[SwarmEvent], None]


def ignore(_event: SwarmEvent) -> None:
    """An observer that watches nothing."""
