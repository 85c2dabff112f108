"""Typed events the agent loop emits to a sink; every front end renders these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codetether.provider.model import Usage


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
class AgentError:
    message: str
    fatal: bool = False


@dataclass
class RunCompleted:
    text: str
    steps: int
    usage: Usage
    exit_reason: str  # completed | max_steps | cancelled | error


Event = (RunStarted | StepStarted | TextChunk | TextComplete | ThinkingChunk | ToolCallStarted
         | ToolCallCompleted | UsageUpdated | ContextTruncated | CompactionCompleted | CompactionFailed | AgentError
         | RunCompleted)
EventSink = Callable[[Event], None]


def discard(_event: Event) -> None:
    """A sink that drops every event."""


def fanout(*sinks: EventSink) -> EventSink:
    """One sink that hands every event to each of `sinks` in order."""

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit
