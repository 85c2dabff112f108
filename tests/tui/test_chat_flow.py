"""Pilot tests: a real session against the scripted LLM server, driven through the TUI's keys."""

from __future__ import annotations

from tests.harness.llm_server import Reply, ToolCall
from tests.tui.conftest import make_app, wait_for


def _text(app) -> str:
    """Everything the chat holds, as plain text."""
    return app.chat.plain_text()


async def _type(pilot, text: str) -> None:
    await pilot.click("#prompt")
    for ch in text:
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")


def test_prompt_streams_text_runs_an_edit_and_undo_restores_it(tui_env, llm_server, workspace):
    import asyncio

    llm_server.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'})]),
        Reply(text="Fixed the **typo** in app.py."))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "fix the typo")
            await wait_for(pilot, lambda: "Fixed the **typo**" in _text(app) and not app.busy)
            shown = _text(app)
            assert "fix the typo" in shown
            assert "✓ edit" in shown
            assert (workspace / "app.py").read_text().count('"hello"') == 1
            await _type(pilot, "/undo")
            await wait_for(pilot, lambda: "Undid turn 1" in _text(app))
            assert '"helo"' in (workspace / "app.py").read_text()
            assert "restored" in _text(app)
            await app.action_quit()

    asyncio.run(scenario())
    assert llm_server.requests[0].body["stream"] is True
