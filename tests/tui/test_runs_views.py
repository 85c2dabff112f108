"""The swarm and Ralph views redraw from their runs' typed events (fed directly: a real swarm is too slow here);
arrow keys and Enter open a subtask's tool calls and messages, and a story's iterations, checks and commits."""

from __future__ import annotations

import asyncio

from codetether.agent import events as ev
from codetether.ralph import events as rl
from codetether.swarm import events as sw
from codetether.swarm.executor import Progress
from codetether.tui.feeds import RalphFeed, SwarmFeed
from tests.tui.conftest import make_app, wait_for


def _rows(app, table_id: str) -> list[list[str]]:
    from textual.widgets import DataTable

    table = app.screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _detail(app) -> str:
    from textual.widgets import Static

    return str(app.screen.query_one("#detail-body", Static).render())


def _swarm_events(feed: SwarmFeed) -> None:
    feed.observe(sw.SwarmStarted("add tests", (
        sw.PlannedSubtask("st-1", "Read", "MARK-1: read app.py", "Researcher", 0, ()),
        sw.PlannedSubtask("st-2", "Write", "MARK-2: write test_app.py", "Coder", 0, ()),
        sw.PlannedSubtask("st-3", "Review", "MARK-3: review both", "Reviewer", 1, ("st-1", "st-2")))))
    feed.report("3 subtask(s) in 2 stage(s)", Progress(stages=2, running=2))
    for sid in ("st-1", "st-2"):
        feed.observe(sw.SubtaskStatus(sid, "running", 0))
    act = [("st-1", ev.ToolCallStarted("c1", "read", '{"path": "app.py"}')),
           ("st-1", ev.ToolCallCompleted("c1", "read", True, 3, "   1 | def greet():\n   2 |     return 1")),
           ("st-2", ev.ToolCallStarted("c2", "write", '{"path": "test_app.py", "content": "def test_x(): ..."}')),
           ("st-2", ev.ToolCallCompleted("c2", "write", False, 2, "write refused: read-only tools only")),
           ("st-2", ev.TextComplete("I could not write the test file.")),
           ("st-1", ev.TextComplete("app.py defines greet."))]
    for sid, event in act:
        feed.observe(sw.SubtaskActivity(sid, event))
    feed.observe(sw.SubtaskStatus("st-1", "completed", 0, steps=2, tool_calls=1))
    feed.observe(sw.SubtaskStatus("st-2", "failed", 0, steps=2, tool_calls=1, error="sub-agent hit max steps (2)"))


def test_swarm_view_follows_sub_agents_and_opens_a_subtasks_detail(tui_env, workspace):
    async def scenario() -> None:
        from codetether.tui.screens.run_detail import SubtaskDetail
        from codetether.tui.screens.runs import SwarmView

        app = make_app(workspace)
        async with app.run_test(size=(110, 36)) as pilot:
            app.swarm_feed = feed = SwarmFeed("add tests")
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, SwarmView) and bool(app.screen.query("#swarm-table")))
            _swarm_events(feed)
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#swarm-table") == [["st-1", "completed", "0", "1", "read"],
                                                   ["st-2", "failed", "0", "1", "sub-agent hit max steps (2)"],
                                                   ["st-3", "pending", "1", "0", ""]]
            await pilot.press("down", "enter")  # the second subtask
            await wait_for(pilot, lambda: isinstance(app.screen, SubtaskDetail))
            text = _detail(app)
            assert "Sub-agent st-2 · Write" in text and "Agent: Coder    Status: failed    Stage: 0    Steps: 2" in text
            assert "Error: sub-agent hit max steps (2)" in text and "Task: MARK-2: write test_app.py" in text
            assert '1. ✗ write\n     in:  {"path": "test_app.py", "content": "def test_x(): ..."}' in text
            assert "out: write refused: read-only tools only" in text
            assert "Messages:\n  I could not write the test file." in text and "[2/3]" in text
            await pilot.press("down")  # the neighbouring subtask, still in detail
            await pilot.pause()
            assert "Sub-agent st-3 · Review" in _detail(app) and "Deps: st-1, st-2" in _detail(app)
            await pilot.press("up", "up")
            await pilot.pause()
            text = _detail(app)
            assert "Sub-agent st-1 · Read" in text and "1. ✓ read" in text and "out:    1 | def greet():" in text
            # Live: new activity shows in the open detail.
            feed.observe(sw.SubtaskActivity("st-1", ev.ToolCallStarted("c3", "grep", '{"pattern": "greet"}')))
            app.runs_changed()
            await pilot.pause()
            assert "2. … grep" in _detail(app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, SwarmView))
            feed.finish(True, "Swarm completed successfully.")
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#swarm-table")[2][1] == "completed"
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, SwarmView))
            await app.action_quit()

    asyncio.run(scenario())


def _ralph_events(feed: RalphFeed) -> None:
    feed.observe(rl.RalphStarted("prd.json", "calc", "Calc ops", "feature/x", (
        rl.StoryInfo("US-001", "Login", False, 1, ()), rl.StoryInfo("US-002", "Logout", True, 2, ("US-001",))), 10))
    feed.observe(rl.IterationStarted(1, 10, "US-001", 1))
    feed.observe(rl.StoryActivity("US-001", ev.ToolCallStarted("c1", "edit", '{"path": "auth.py"}')))
    feed.observe(rl.StoryActivity("US-001", ev.ToolCallCompleted("c1", "edit", True, 4, "edited auth.py")))
    feed.observe(rl.CheckDone("US-001", "test", "pytest -q", False, 0.4, "exited with 1"))
    feed.observe(rl.StoryFailed("US-001", 1, "test `pytest -q` exited with 1"))
    feed.observe(rl.IterationStarted(2, 10, "US-001", 2))
    feed.observe(rl.StoryActivity("US-001", ev.TextComplete("Fixed the login check.\nSTORY_COMPLETE: US-001")))
    feed.observe(rl.CheckDone("US-001", "test", "pytest -q", True, 0.3))


def test_ralph_view_moves_stories_along_and_opens_a_storys_detail(tui_env, workspace):
    async def scenario() -> None:
        from codetether.tui.screens.run_detail import StoryDetail
        from codetether.tui.screens.runs import RalphView

        app = make_app(workspace)
        async with app.run_test(size=(110, 40)) as pilot:
            feed = RalphFeed.from_stories("prd.json", [("US-001", "Login", False), ("US-002", "Logout", True)])
            app.ralph_feed = feed
            app.push_screen(RalphView(feed))
            await wait_for(pilot, lambda: isinstance(app.screen, RalphView) and bool(app.screen.query("#ralph-table")))
            assert [r[2] for r in _rows(app, "#ralph-table")] == ["pending", "passed"]
            _ralph_events(feed)
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#ralph-table")[0][2:] == ["quality-check", "check test: passed"]
            feed.observe(rl.StoryPassed("US-001", 2, "abc1234"))
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#ralph-table")[0][2:] == ["passed", "committed abc1234"]
            await pilot.press("enter")  # the highlighted (first) story
            await wait_for(pilot, lambda: isinstance(app.screen, StoryDetail))
            text = _detail(app)
            assert "Story US-001 · Login" in text and "Commits: abc1234" in text
            assert "Iteration 1 (attempt 1): failed · test `pytest -q` exited with 1" in text
            assert "1. ✓ edit\n       in:  {\"path\": \"auth.py\"}\n       out: edited auth.py" in text
            assert "✗ test: pytest -q (0.4 s) — exited with 1" in text
            assert "Iteration 2 (attempt 2): passed · commit abc1234" in text and "✓ test: pytest -q (0.3 s)" in text
            assert "Fixed the login check." in text
            await pilot.press("j")
            await pilot.pause()
            text = _detail(app)
            assert "Story US-002 · Logout" in text and "Deps: US-001" in text and "No iteration" in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, RalphView))
            await app.action_quit()

    asyncio.run(scenario())


def test_ralph_command_names_a_missing_prd(tui_env, workspace):
    from tests.tui.test_chat_flow import _text, _type

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await _type(pilot, "/ralph nope.json")
            await wait_for(pilot, lambda: "PRD file not found" in _text(app))
            await app.action_quit()

    asyncio.run(scenario())
