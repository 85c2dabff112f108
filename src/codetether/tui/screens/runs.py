"""The swarm and Ralph views: a live list of sub-agents or stories (↑/↓ to choose, Enter for the detail), redrawn
from their feeds."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from codetether.tui.feeds import RalphFeed, SwarmFeed
from codetether.tui.screens.run_detail import StoryDetail, SubtaskDetail


class _ListView(Screen[None]):
    """A header, a table with one row per item, and a footer; Enter opens the highlighted item's detail."""

    KIND = ""
    COLUMNS: tuple[str, ...] = ()

    def __init__(self, content: Callable[[], tuple[str, list[tuple[str, tuple[str, ...]]], str]],
                 detail: Callable[[str, list[str]], Screen[None]]) -> None:
        """`content`: (header, rows as (key, cells), footer), read at each redraw; `detail`: the page for a key."""
        super().__init__()
        self.content, self.detail = content, detail

    def compose(self) -> ComposeResult:
        with Vertical(id=f"{self.KIND}-view", classes="run-view"):
            yield Static("", id=f"{self.KIND}-header", markup=False)
            yield DataTable(id=f"{self.KIND}-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id=f"{self.KIND}-footer", markup=False)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*self.COLUMNS)
        self.redraw()

    def redraw(self) -> None:
        if not self.query(DataTable):  # not composed yet: on_mount draws it
            return
        table = self.query_one(DataTable)
        keep = table.cursor_row
        header, rows, footer = self.content()
        self.query_one(f"#{self.KIND}-header", Static).update(header)
        table.clear()
        for key, row in rows:
            table.add_row(*row, key=key)
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        self.query_one(f"#{self.KIND}-footer", Static).update(footer + "\n ↑/↓ choose · Enter details · Esc back")

    def keys(self) -> list[str]:
        return [key for key, _row in self.content()[1]]

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        self.app.push_screen(self.detail(str(message.row_key.value), self.keys()))


class SwarmView(_ListView):
    """Sub-agents with their state, stage, tool-call count and latest activity; Esc/F2/Ctrl+S back to chat."""

    KIND = "swarm"
    COLUMNS = ("sub-agent", "state", "stage", "tools", "latest")
    BINDINGS = [Binding("escape,f2,ctrl+s", "app.pop_screen", "Chat")]

    def __init__(self, feed: SwarmFeed) -> None:
        super().__init__(lambda: _swarm_content(feed), lambda key, keys: SubtaskDetail(feed, key, keys))
        self.feed = feed


class RalphView(_ListView):
    """Stories with their state (pending, running, quality-check, passed, failed); Esc/Ctrl+S back to chat."""

    KIND = "ralph"
    COLUMNS = ("story", "title", "state", "detail")
    BINDINGS = [Binding("escape,f2,ctrl+s", "app.pop_screen", "Chat")]

    def __init__(self, feed: RalphFeed) -> None:
        super().__init__(lambda: _ralph_content(feed), lambda key, keys: StoryDetail(feed, key, keys))
        self.feed = feed


def _swarm_content(feed: SwarmFeed) -> tuple[str, list[tuple[str, tuple[str, ...]]], str]:
    rows = [(sub.id, (sub.id, sub.state, str(sub.stage), str(sub.tool_calls), sub.last[:60]))
            for sub in feed.subagents.values()]
    footer = feed.finished or (feed.notes[-1] if feed.notes else "")
    return f"Task: {feed.task}\n Progress  {feed.summary}", rows, footer


def _ralph_content(feed: RalphFeed) -> tuple[str, list[tuple[str, tuple[str, ...]]], str]:
    done = sum(s.state == "passed" for s in feed.stories.values())
    header = f"Ralph · {feed.prd}  iteration {feed.iteration or '-'}  ·  {done}/{len(feed.stories)} stories pass"
    rows = [(s.id, (s.id, s.title[:30], s.state, s.detail[:50])) for s in feed.stories.values()]
    return header, rows, feed.finished or (feed.log[-1] if feed.log else "")
