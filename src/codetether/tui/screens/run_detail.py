"""One sub-agent's or one story's detail: what it is, its tool calls with input and output, its messages (and for a
story its iterations, checks and commits). ↑/↓ move to the neighbouring item; Esc goes back to the list."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from codetether.tui.feeds import Activity, Iteration, RalphFeed, SubAgent, SwarmFeed

SHOWN = 300  # characters of each tool input and output in the detail


def _short(text: str, limit: int = SHOWN) -> str:
    text = text.strip("\n").rstrip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def activity_lines(activity: Activity) -> list[str]:
    lines = [f"Tool calls ({len(activity.tools)}):"] if activity.tools else ["Tool calls: none yet"]
    for n, call in enumerate(activity.tools, 1):
        mark = "…" if call.success is None else ("✓" if call.success else "✗")
        lines.append(f"  {n}. {mark} {call.name}")
        lines.append(f"     in:  {_short(call.arguments) or '{}'}")
        if call.output is not None:
            lines += [f"     out: {line}" if i == 0 else f"          {line}"
                      for i, line in enumerate(_short(call.output).splitlines() or [""])]
    if activity.messages:
        lines += ["", "Messages:"] + [f"  {_short(m, 1_000)}" for m in activity.messages]
    return lines


def subtask_lines(sub: SubAgent) -> list[str]:
    lines = [f"Sub-agent {sub.id}" + (f" · {sub.name}" if sub.name else ""),
             f"Agent: {sub.specialty or '-'}    Status: {sub.state}    Stage: {sub.stage}    Steps: {sub.steps}",
             f"Deps: {', '.join(sub.dependencies) or 'none'}"]
    if sub.instruction:
        lines.append(f"Task: {_short(sub.instruction, 600)}")
    if sub.error:
        lines.append(f"Error: {sub.error}")
    return [*lines, "", *activity_lines(sub.activity)]


def iteration_lines(it: Iteration) -> list[str]:
    verdict = {"passed": f"passed · commit {it.commit}", "failed": f"failed · {it.reason}"}.get(it.verdict,
                                                                                                 it.verdict)
    lines = [f"Iteration {it.number} (attempt {it.attempt}): {verdict}"]
    lines += [f"  {line}" for line in activity_lines(it.activity)]
    if it.checks:
        lines.append("  Quality checks:")
        for check in it.checks:
            lines.append(f"    {'✓' if check.passed else '✗'} {check.name}: {check.command} ({check.seconds:.1f} s)"
                         + (f" — {check.detail}" if check.detail else ""))
    return lines


class _Detail(Screen[None]):
    """A scrollable text page about one item of a list; neighbours with ↑/↓ (k/j)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("up,k", "neighbour(-1)", "Previous"),
                Binding("down,j", "neighbour(1)", "Next"), Binding("pageup", "scroll_page(-1)", show=False),
                Binding("pagedown", "scroll_page(1)", show=False)]

    def __init__(self, key: str, keys: list[str], lines_for: Callable[[str], list[str]]) -> None:
        super().__init__()
        self.key, self.keys, self.lines_for = key, keys, lines_for

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll", classes="run-view"):
            yield Static("", id="detail-body", markup=False)

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        if self.query("#detail-body"):
            position = self.keys.index(self.key) + 1 if self.key in self.keys else 0
            hint = f"\n\n[{position}/{len(self.keys)}] ↑/↓ previous/next · PgUp/PgDn scroll · Esc back"
            self.query_one("#detail-body", Static).update("\n".join(self.lines_for(self.key)) + hint)

    def action_neighbour(self, step: int) -> None:
        if self.key in self.keys:
            self.key = self.keys[(self.keys.index(self.key) + step) % len(self.keys)]
            self.query_one("#detail-scroll", VerticalScroll).scroll_home(animate=False)
            self.redraw()

    def action_scroll_page(self, direction: int) -> None:
        scroll = self.query_one("#detail-scroll", VerticalScroll)
        scroll.scroll_relative(y=direction * 10, animate=False)


class SubtaskDetail(_Detail):
    def __init__(self, feed: SwarmFeed, key: str, keys: list[str]) -> None:
        super().__init__(key, keys, lambda key: _subtask_page(feed, key))


def _subtask_page(feed: SwarmFeed, key: str) -> list[str]:
    sub = feed.subagents.get(key)
    return subtask_lines(sub) if sub else [f"Sub-agent {key}: nothing known yet"]


class StoryDetail(_Detail):
    def __init__(self, feed: RalphFeed, key: str, keys: list[str]) -> None:
        super().__init__(key, keys, lambda key: _story_page(feed, key))


def _story_page(feed: RalphFeed, key: str) -> list[str]:
    story = feed.stories.get(key)
    if story is None:
        return [f"Story {key}: nothing known yet"]
    lines = [f"Story {story.id} · {story.title}", f"Status: {story.state}    Priority: {story.priority}    "
             f"Deps: {', '.join(story.depends_on) or 'none'}",
             f"Commits: {', '.join(story.commits) or 'none yet'}", ""]
    for it in story.iterations:
        lines += [*iteration_lines(it), ""]
    return lines if story.iterations else [*lines, "No iteration has worked on this story yet."]
