"""What a Ralph run tells its watchers (the TUI's Ralph view, the worker's stream), as typed events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codetether.agent import events as ev


@dataclass(frozen=True)
class StoryInfo:
    id: str
    title: str
    passes: bool
    priority: int
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class RalphStarted:
    prd: str
    project: str
    feature: str
    branch: str
    stories: tuple[StoryInfo, ...]
    max_iterations: int


@dataclass(frozen=True)
class IterationStarted:
    iteration: int
    max_iterations: int
    story_id: str
    attempt: int


@dataclass(frozen=True)
class StoryActivity:
    """One of the story agent's own events: tool calls with input and output, its messages."""

    story_id: str
    event: ev.Event


@dataclass(frozen=True)
class CheckDone:
    story_id: str
    name: str
    command: str
    passed: bool
    seconds: float
    detail: str = ""  # the failure's headline, empty when it passed


@dataclass(frozen=True)
class StoryPassed:
    story_id: str
    iteration: int
    commit: str


@dataclass(frozen=True)
class StoryFailed:
    story_id: str
    iteration: int
    reason: str


@dataclass(frozen=True)
class RalphDone:
    status: str  # completed | max_iterations | quality_failed | stopped | error
    passed: int
    total: int
    iterations: int
    error: str | None = None


RalphEvent = RalphStarted | IterationStarted | StoryActivity | CheckDone | StoryPassed | StoryFailed | RalphDone
RalphObserver = Callable[[RalphEvent], None]


def ignore(_event: RalphEvent) -> None:
    """An observer that watches nothing."""
