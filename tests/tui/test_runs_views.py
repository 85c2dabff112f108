"""The swarm and Ralph views redraw from their runs' progress (fed directly: a real swarm is too slow here)."""

from __future__ import annotations

import asyncio

from codetether.swarm.executor import Progress
from codetether.tui.feeds import RalphFeed, SwarmFeed
from tests.tui.conftest import make_app, wait_for


def _rows(app, table_id: str) -> list[list[str]]:
    from textual.widgets import DataTable

    table = app.screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_swarm_view_follows_sub_agents(tui_env, workspace):
    async def scenario() -> None:
        from codetether.tui.screens.runs import SwarmView

        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            app.swarm_feed = feed = SwarmFeed("add tests")
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, SwarmView) and bool(app.screen.query("#swarm-table")))
            feed.report("2 subtask(s) in 1 stage(s)", Progress(stages=1, running=2))
            feed.report("st-1: read", Progress(stages=1, running=2, tool_calls=1))
            feed.report("st-2: write", Progress(stages=1, running=2, tool_calls=2))
            feed.report("st-2: write", Progress(stages=1, running=2, tool_calls=3))
            feed.report("st-1: the sub-agent timed out", Progress(stages=1, running=1, failed=1))
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#swarm-table") == [["st-1", "failed", "1", "the sub-agent timed out"],
                                                   ["st-2", "running", "2", "write"]]
            feed.finish(True, "Swarm completed successfully.")
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#swarm-table")[1][1] == "done"
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, SwarmView))
            await app.action_quit()

    asyncio.run(scenario())


def test_ralph_view_moves_stories_along(tui_env, workspace):
    async def scenario() -> None:
        from codetether.tui.screens.runs import RalphView

        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            feed = RalphFeed.from_stories("prd.json", [("US-001", "Login", False), ("US-002", "Logout", True)])
            app.ralph_feed = feed
            app.push_screen(RalphView(feed))
            await wait_for(pilot, lambda: isinstance(app.screen, RalphView) and bool(app.screen.query("#ralph-table")))
            assert [r[2] for r in _rows(app, "#ralph-table")] == ["pending", "passed"]
            for line in ("iteration 1/10 · US-001 Login (attempt 1)", "check test: pytest → ok (0.1 s)"):
                feed.line(line)
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#ralph-table")[0][2] == "quality-check"
            feed.line("US-001 passes → committed abc123 on feature/x")
            app.runs_changed()
            await pilot.pause()
            assert _rows(app, "#ralph-table")[0][2] == "passed"
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
