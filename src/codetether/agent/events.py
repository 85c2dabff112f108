"""Typed events the agent loop emits to a sink; every front end renders these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from codetether.provider.model import Usage


class ExitReason(StrEnum):
    """How a run of the agent loop (or a swarm sub-agent) ended; its value is what JSON output and sessions record."""

    COMPLETED = "completed"
    MAX_STEPS = "max_steps"
    CANCELLED = "cancelled"
    ERROR = "error"
    TIMED_OUT = "timed_out"  # a swarm sub-agent's time limit
    BUDGET = "budget"  # a swarm's shared token budget spent

    @property
    def exit_code(self) -> int:
        """The process exit code of a one-shot command that ended this way (0, 1, 3 for a limit, 130 cancelled)."""
        return {ExitReason.COMPLETED: 0, ExitReason.MAX_STEPS: 3, ExitReason.CANCELLED: 130}.get(self, 1)

    @classmethod
    def parse(cls, text: object) -> ExitReason:
        """A reason another process reported (a pod's result line); anything unknown is an error."""
        try:
            return cls(str(text))
        except ValueError:
            return cls.ERROR


@dataclass
class RunStarted:
    session_id: str
    model: str
    agent: str


@dataclass
class StepStarted:
    step: int


@dataclass
class TextChunk:
    text: str


@dataclass
class TextComplete:
    text: str


@dataclass
class ThinkingChunk:
    text: str


@dataclass
class ToolCallStarted:
    call_id: str
    name: str
    arguments: str


@dataclass
class ToolCallCompleted:
    call_id: str
    name: str
    success: bool
    duration_ms: int
    output: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolCallRepaired:
    """A call was read with certain repairs before it ran; `original_*` is what the model sent."""

    call_id: str
    name: str
    original_name: str
    repairs: list[str]
    original_arguments: str
    arguments: str


@dataclass
class LoopDetected:
    """The same call with the same arguments came `count` times in a row (doom-loop guard).

    action: asked (the user is being asked) | approved | refused (the model was told) | stopped (turn ended)"""

    name: str
    arguments: str
    count: int
    action: str


@dataclass
class UsageUpdated:
    step: int
    usage: Usage
    total: Usage


@dataclass
class ContextTruncated:
    removed_messages: int
    tokens_before: int
    tokens_after: int


@dataclass
class CompactionCompleted:
    """Older messages of the request were replaced by a model-written summary (the transcript is kept)."""

    messages_summarised: int
    tokens_before: int
    tokens_after: int


@dataclass
class CompactionFailed:
    """The summary call failed; the request fell back to truncation."""

    reason: str


@dataclass
class ContextLimitLearned:
    """The provider refused a request as too long; the window is now `window` tokens for the rest of the session."""

    stated_limit: int | None
    window: int
    tokens_before: int
    tokens_after: int


@dataclass
class AgentError:
    message: str
    fatal: bool = False


@dataclass
class Notice:
    """Something the user should know that is not an error of the run: no sandbox here, a long provider wait."""

    text: str
    kind: str = "warning"  # warning | info


@dataclass
class RunCompleted:
    text: str
    steps: int
    usage: Usage
    exit_reason: ExitReason


Event = (RunStarted | StepStarted | TextChunk | TextComplete | ThinkingChunk | ToolCallStarted
         | ToolCallCompleted | ToolCallRepaired | LoopDetected | UsageUpdated | ContextTruncated | CompactionCompleted
         | CompactionFailed | ContextLimitLearned | AgentError | Notice | RunCompleted)
EventSink = Callable[[Event], None]


def discard(_event: Event) -> None:
    """A sink that drops every event."""


def fanout(*sinks: EventSink) -> EventSink:
    """One sink that hands every event to each of `sinks` in order."""

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit


def notice(event: ToolCallRepaired | LoopDetected | ContextLimitLearned) -> str:
    """One line telling the user what the agent changed or stopped (stderr in `run`, a note in the TUI)."""
    if isinstance(event, ToolCallRepaired):
        return f"~ {event.name}: call repaired before it ran ({'; '.join(event.repairs)})"
    if isinstance(event, LoopDetected):
        what = {"asked": "asking whether to run it again", "approved": "run again (approved)",
                "refused": "not run; the model was told to change course",
                "stopped": "the turn was stopped"}.get(event.action, event.action)
        return f"! {event.name} called {event.count} times in a row with the same arguments: {what}"
    stated = f"{event.stated_limit} tokens" if event.stated_limit else "no number"
    return (f"~ the provider refused the request as too long for the context window (it states {stated}); "
            f"the window is now {event.window} tokens for this session, compacted {event.tokens_before} -> "
            f"{event.tokens_after} tokens and retried")


# What a view following another agent (a swarm sub-agent, a Ralph story) shows: its calls and their results, its words.
ACTIVITY = (ToolCallStarted, ToolCallCompleted, TextComplete, AgentError)
