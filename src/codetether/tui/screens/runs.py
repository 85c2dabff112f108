"""The swarm and Ralph views: a live list of sub-agents or stories, redrawn from their feeds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from codetether.tui.feeds import RalphFeed, SwarmFeed


class SwarmView(Screen[None]):
    """Sub-agents with their state, tool-call count and latest activity; Esc/F2/Ctrl+S back to chat."""

    BINDINGS = [Binding("escape,f2,ctrl+s", "app.pop_screen", "Chat")]

    def __init__(self, feed: SwarmFeed) -> None:
        super().__init__()
        self.feed = feed

    def compose(self) -> ComposeResult:
        with Vertical(id="swarm-view", classes="run-view"):
            yield Static("", id="swarm-header", markup=False)
            yield DataTable(id="swarm-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="swarm-footer", markup=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("sub-agent", "state", "tools", "latest")
        self.redraw()

    def redraw(self) -> None:
        if not self.query(DataTable):  # not composed yet: on_mount draws it
            return
        feed = self.feed
        self.query_one("#swarm-header", Static).update(f"Task: {feed.task}\n Progress  {feed.summary}")
        table = self.query_one(DataTable)
        table.clear()
        for sub in feed.subagents.values():
            table.add_row(sub.id, sub.state, str(sub.tool_calls), sub.last[:60], key=sub.id)
        footer = feed.finished or (feed.notes[-1] if feed.notes else "")
        self.query_one("#swarm-footer", Static).update(footer)


class RalphView(Screen[None]):
    """Stories with their state (pending, running, quality-check, passed, failed); Esc/Ctrl+S back to chat."""

    BINDINGS = [Binding("escape,ctrl+s", "app.pop_screen", "Chat")]

    def __init__(self, feed: RalphFeed) -> None:
        super().__init__()
        self.feed = feed

    def compose(self) -> ComposeResult:
        with Vertical(id="ralph-view", classes="run-view"):
            yield Static("", id="ralph-header", markup=False)
            yield DataTable(id="ralph-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="ralph-footer", markup=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("story", "title", "state", "detail")
        self.redraw()

    def redraw(self) -> None:
        if not self.query(DataTable):  # not composed yet: on_mount draws it
            return
        feed = self.feed
        done = sum(s.state == "passed" for s in feed.stories.values())
        self.query_one("#ralph-header", Static).update(
            f"Ralph · {feed.prd}  iteration {feed.iteration or '-'}  ·  {done}/{len(feed.stories)} stories pass")
        table = self.query_one(DataTable)
        table.clear()
        for story in feed.stories.values():
            table.add_row(story.id, story.title[:30], story.state, story.detail[:50], key=story.id)
        self.query_one("#ralph-footer", Static).update(feed.finished or (feed.log[-1] if feed.log else ""))
