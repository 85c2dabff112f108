"""Model selector (Ctrl+M, search) and sessions picker (resume) against a real session."""

from __future__ import annotations

import asyncio

from tests.harness.llm_server import Reply
from tests.tui.conftest import make_app, wait_for
from tests.tui.test_chat_flow import _text, _type


def test_ctrl_p_picks_a_model_and_the_next_turn_uses_it(tui_env, llm_server, workspace):
    llm_server.script(Reply(text="from mini"))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ModelPicker")
            for ch in "4o-mini":
                await pilot.press(ch)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.session is not None and app.session.prepared.resolved.id == "openai/gpt-4o-mini")
            assert "Model set to: openai/gpt-4o-mini" in _text(app)
            await _type(pilot, "hi")
            await wait_for(pilot, lambda: "from mini" in _text(app) and not app.busy)
            await app.action_quit()

    asyncio.run(scenario())
    assert llm_server.requests[-1].body["model"] == "gpt-4o-mini"


def test_sessions_picker_resumes_an_earlier_session(tui_env, llm_server, workspace):
    llm_server.script(Reply(text="first answer"), Reply(text="after resume"))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "remember this")
            await wait_for(pilot, lambda: "first answer" in _text(app) and not app.busy)
            first = app.session.session_id
            await _type(pilot, "/new")
            await wait_for(pilot, lambda: "Started a new session" in _text(app))
            assert "first answer" not in _text(app)
            await _type(pilot, "/sessions")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SessionPicker")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Resumed session: remember this" in _text(app))
            assert app.session.session_id == first and "first answer" in _text(app)
            await _type(pilot, "and now?")
            await wait_for(pilot, lambda: "after resume" in _text(app) and not app.busy)
            await app.action_quit()

    asyncio.run(scenario())
    users = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "user"]
    assert users == ["remember this", "and now?"]


def test_ctrl_r_history_search_and_question_mark_help(tui_env, llm_server, workspace):
    from codetether.tui.widgets.prompt import PromptInput

    llm_server.script(Reply(text="one"), Reply(text="two"))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "explain the parser")
            await wait_for(pilot, lambda: "one" in _text(app) and not app.busy)
            await _type(pilot, "add tests")
            await wait_for(pilot, lambda: "two" in _text(app) and not app.busy)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ModelPicker")
            for ch in "parser":
                await pilot.press(ch)
            await pilot.press("enter")
            prompt = app.screen.query_one(PromptInput)
            await wait_for(pilot, lambda: prompt.text == "explain the parser")
            prompt.clear()
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen")
            await pilot.press("escape")
            await app.action_quit()

    asyncio.run(scenario())
