"""The chat transcript: user prompts, streamed assistant markdown, collapsible tool calls, notices."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Collapsible, Markdown, Static

from codetether.agent import events as ev
from codetether.tui.tool_summary import diff_stat, error_excerpt, subject

ARGS_PREVIEW = 897  # the seed shows this much of a call's arguments before "..."
OUTPUT_PREVIEW = 4000


class UserMessage(Static):
    """One prompt the user sent."""


class Notice(Static):
    """A system line: help, errors, confirmations."""


class AssistantMessage(Markdown):
    """Assistant text, streamed in as markdown (fenced code is syntax-highlighted by Markdown)."""


class ToolCallView(Collapsible):
    """A tool call: title shows name, state and duration; the body holds arguments, output and any diff."""

    def __init__(self, event: ev.ToolCallStarted) -> None:
        self.call_id, self.tool = event.call_id, event.name
        about = subject(event.name, event.arguments)
        self.label = f"{event.name}: {about}" if about else event.name  # the command, path or pattern
        args = _pretty(event.arguments)
        args = args if len(args) <= ARGS_PREVIEW else args[:ARGS_PREVIEW] + "..."
        self.args_view = Static(args, classes="tool-args", markup=False)
        super().__init__(self.args_view, title=Content(f"⚙ {self.label}  running…"), collapsed=True,
                         classes="tool-call")

    async def complete(self, event: ev.ToolCallCompleted) -> None:
        mark = "✓" if event.success else "✗"
        stat = diff_stat(str((event.metadata or {}).get("diff") or ""))
        self.title = Content(f"{mark} {self.label}  {event.duration_ms} ms" + (f"  {stat}" if stat else ""))
        self.add_class("-ok" if event.success else "-failed")
        output = event.output if len(event.output) <= OUTPUT_PREVIEW else event.output[:OUTPUT_PREVIEW] + "\n..."
        body = self.query_one(Collapsible.Contents)
        await body.mount(Static(output, classes="tool-output", markup=False))
        diff = (event.metadata or {}).get("diff")
        if isinstance(diff, str) and diff.strip():
            await body.mount(Static(Syntax(diff, "diff", theme="ansi_dark", word_wrap=True), classes="tool-diff"))


class ChatLog(VerticalScroll):
    """The scrolling transcript; follows new content unless the user scrolled up."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._assistant: AssistantMessage | None = None
        self._stream = None
        self._streamed = False
        self._tools: dict[str, ToolCallView] = {}

    async def add_user(self, text: str) -> None:
        await self._add(UserMessage(text, markup=False))

    async def add_notice(self, text: str, kind: str = "info") -> None:
        await self._add(Notice(text, classes=f"notice -{kind}", markup=False))

    async def add_markdown(self, text: str) -> None:
        await self._add(AssistantMessage(text))

    async def clear_log(self) -> None:
        await self.end_text()
        self._tools.clear()
        await self.remove_children()

    async def text_chunk(self, text: str) -> None:
        if self._assistant is None:
            self._assistant = AssistantMessage()
            await self._add(self._assistant)
            self._stream = Markdown.get_stream(self._assistant)
            self._streamed = False
        self._streamed = True
        await self._stream.write(text)
        self._follow()

    async def text_complete(self, text: str) -> None:
        """The step's whole text: shown at once when nothing was streamed (non-streaming providers)."""
        if self._assistant is None:
            await self.add_markdown(text)
        await self.end_text()

    async def end_text(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
        self._assistant, self._stream = None, None

    async def tool_started(self, event: ev.ToolCallStarted) -> None:
        await self.end_text()
        view = ToolCallView(event)
        self._tools[event.call_id] = view
        await self._add(view)

    async def tool_completed(self, event: ev.ToolCallCompleted) -> None:
        view = self._tools.pop(event.call_id, None)
        if view is None:  # a call we never saw start (batch sub-calls): show it whole
            view = ToolCallView(ev.ToolCallStarted(event.call_id, event.name, ""))
            await self._add(view)
        await view.complete(event)
        if not event.success and event.output.strip():  # what went wrong, readable without expanding the call
            await self.mount(Static(error_excerpt(event.output), classes="tool-error", markup=False), after=view)
        self._follow()

    def toggle_tools(self) -> bool:
        """Expand every tool call if any is collapsed, else collapse them all; True when now expanded."""
        views = list(self.query(ToolCallView))
        expand = any(view.collapsed for view in views)
        for view in views:
            view.collapsed = not expand
        return expand

    async def _add(self, widget) -> None:
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        await self.mount(widget)
        if follow:
            self.scroll_end(animate=False)

    def _follow(self) -> None:
        if self.is_vertical_scroll_end or self.scroll_y >= self.max_scroll_y - 3:
            self.scroll_end(animate=False)


def _pretty(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False) if arguments else ""
    except (ValueError, TypeError):
        return arguments
