"""Agent events as `session/update`s: message and thought chunks, tool calls with their status, diffs and output,
the todo list as a plan, and context usage."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp.schema import (
    AgentMessageChunk,
    AgentPlanUpdate,
    AgentThoughtChunk,
    ContentToolCallContent,
    Cost,
    FileEditToolCallContent,
    PlanEntry,
    TextContentBlock,
    ToolCallLocation,
    ToolCallProgress,
    ToolCallStart,
    UsageUpdate,
)

from codetether.acp import toolcalls
from codetether.acp.files import Change
from codetether.agent import events as ev

# The tool call running in this task: set when it starts, read by the approver to say which call it asks about.
current_call: ContextVar[str | None] = ContextVar("acp_current_call", default=None)
SHOWN_OUTPUT_CHARS = 20_000
PLAN_STATUS = {"pending": "pending", "in_progress": "in_progress", "done": "completed", "blocked": "pending"}


@dataclass
class TurnView:
    """What the translator needs from its session, read as events arrive."""

    cwd: Path
    will_ask: Callable[[str, dict[str, Any]], bool]  # (tool, arguments) -> an approval request is coming
    take_changes: Callable[[], list[Change]]  # file changes since the last call
    usage: Callable[[ev.UsageUpdated], UsageUpdate | None]
    after_tool: Callable[[str], None] = lambda name: None  # e.g. plan_enter switched the mode
    open_calls: dict[str, str] = field(default_factory=dict)  # call id -> tool name


def text_chunk(text: str, thought: bool = False) -> Any:
    block = TextContentBlock(type="text", text=text)
    if thought:
        return AgentThoughtChunk(session_update="agent_thought_chunk", content=block)
    return AgentMessageChunk(session_update="agent_message_chunk", content=block)


def text_content(text: str) -> ContentToolCallContent:
    return ContentToolCallContent(type="content", content=TextContentBlock(type="text", text=text))


def diff_content(change: Change) -> FileEditToolCallContent:
    return FileEditToolCallContent(type="diff", path=str(change.path), old_text=change.old, new_text=change.new or "")


def tool_call_start(call_id: str, name: str, args: dict[str, Any], cwd: Path, status: str) -> ToolCallStart:
    return ToolCallStart(session_update="tool_call", tool_call_id=call_id, title=toolcalls.title(name, args),
                         kind=toolcalls.kind(name), status=status, raw_input=args,
                         locations=[ToolCallLocation(**loc) for loc in toolcalls.locations(name, args, cwd)])


def output_content(name: str, output: str) -> ContentToolCallContent:
    if len(output) > SHOWN_OUTPUT_CHARS:
        output = output[:SHOWN_OUTPUT_CHARS] + f"\n… [{len(output) - SHOWN_OUTPUT_CHARS} more chars]"
    return text_content(f"```\n{output}\n```" if name in ("bash", "task") else output)


def plan_update(todos: list[dict[str, Any]]) -> AgentPlanUpdate:
    entries = [PlanEntry(content=str(t.get("content", "")) + (" (blocked)" if t.get("status") == "blocked" else ""),
                         priority=t.get("priority") if t.get("priority") in ("high", "medium", "low") else "medium",
                         status=PLAN_STATUS.get(str(t.get("status")), "pending")) for t in todos]
    return AgentPlanUpdate(session_update="plan", entries=entries)


class EventTranslator:
    """The agent loop's event sink for one ACP session: each event becomes zero or more updates, pushed in order."""

    def __init__(self, push: Callable[[Any], None], view: TurnView):
        self.push, self.view = push, view
        self._streamed = False  # text chunks arrived in this step (else TextComplete carries the text)

    def __call__(self, event: ev.Event) -> None:
        handler = getattr(self, "_" + type(event).__name__, None)
        if handler is not None:
            handler(event)

    def _StepStarted(self, event: ev.StepStarted) -> None:
        self._streamed = False

    def _TextChunk(self, event: ev.TextChunk) -> None:
        self._streamed = True
        self.push(text_chunk(event.text))

    def _ThinkingChunk(self, event: ev.ThinkingChunk) -> None:
        self.push(text_chunk(event.text, thought=True))

    def _TextComplete(self, event: ev.TextComplete) -> None:
        if not self._streamed:  # a provider answering in one piece (no stream)
            self.push(text_chunk(event.text))

    def _ToolCallStarted(self, event: ev.ToolCallStarted) -> None:
        args = toolcalls.parse_arguments(event.arguments)
        current_call.set(event.call_id)
        self.view.open_calls[event.call_id] = event.name
        status = "pending" if self.view.will_ask(event.name, args) else "in_progress"
        self.view.take_changes()  # anything left over belongs to no call
        self.push(tool_call_start(event.call_id, event.name, args, self.view.cwd, status))

    def _ToolCallCompleted(self, event: ev.ToolCallCompleted) -> None:
        self.view.open_calls.pop(event.call_id, None)
        changes = self.view.take_changes()
        content: list[Any] = [diff_content(c) for c in changes]
        if not changes or not event.success:
            content.append(output_content(event.name, event.output))
        self.push(ToolCallProgress(session_update="tool_call_update", tool_call_id=event.call_id,
                                   status="completed" if event.success else "failed", content=content,
                                   raw_output={"output": event.output, "success": event.success,
                                               "duration_ms": event.duration_ms}))
        if event.name == "todo_write" and event.success and isinstance(event.metadata.get("todos"), list):
            self.push(plan_update(event.metadata["todos"]))
        self.view.after_tool(event.name)

    def _UsageUpdated(self, event: ev.UsageUpdated) -> None:
        update = self.view.usage(event)
        if update is not None:
            self.push(update)

    def _CompactionCompleted(self, event: ev.CompactionCompleted) -> None:
        self.push(text_chunk(f"(compacted {event.messages_summarised} older messages into a summary)\n", True))

    def _ContextTruncated(self, event: ev.ContextTruncated) -> None:
        self.push(text_chunk(f"(context trimmed: {event.removed_messages} older messages left out)\n", True))

    def _Notice(self, event: ev.Notice) -> None:
        """A warning (no sandbox here) is said in the reply; information (a long provider wait) as a thought."""
        if event.kind == "warning":
            self.push(text_chunk(f"⚠ {event.text.removeprefix('warning: ')}\n\n"))
        else:
            self.push(text_chunk(f"({event.text})\n", True))

    def _notice(self, event: ev.ToolCallRepaired | ev.LoopDetected | ev.ContextLimitLearned) -> None:
        self.push(text_chunk(f"({ev.notice(event)})\n", True))

    _ToolCallRepaired = _LoopDetected = _ContextLimitLearned = _notice

    def _RunCompleted(self, event: ev.RunCompleted) -> None:
        for call_id in list(self.view.open_calls):  # a cancelled turn leaves them unanswered
            self.view.open_calls.pop(call_id)
            self.push(ToolCallProgress(session_update="tool_call_update", tool_call_id=call_id, status="failed",
                                       content=[text_content(f"stopped: the turn was {event.exit_reason}")]))


def usage_update(used: int, size: int, cost_usd: float) -> UsageUpdate:
    return UsageUpdate(session_update="usage_update", used=max(0, used), size=max(0, size),
                       cost=Cost(amount=round(cost_usd, 6), currency="USD"))
