"""`@path` mentions (completion popup, file attached to the request) and `/compact`, against a real session."""

from __future__ import annotations

import asyncio

from tests.harness.llm_server import Reply
from tests.tui.conftest import make_app, wait_for
from tests.tui.test_chat_flow import _text, _type


def _user_texts(request) -> list[str]:
    return [m["content"] if isinstance(m["content"], str) else "".join(p.get("text", "") for p in m["content"])
            for m in request.body["messages"] if m["role"] == "user"]


def test_at_mention_completes_a_project_file_and_attaches_its_content(tui_env, llm_server, workspace):
    from codetether.tui.widgets.mentions import MentionPopup
    from codetether.tui.widgets.prompt import PromptInput

    (workspace / "apple_notes.md").write_text("notes\n")
    (workspace / ".gitignore").write_text("apricot.log\n")
    (workspace / "apricot.log").write_text("ignored\n")
    llm_server.script(Reply(text="I read it."))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await pilot.click("#prompt")
            for ch in "explain @ap":
                await pilot.press("space" if ch == " " else ch)
            popup = app.screen.query_one(MentionPopup)
            await wait_for(pilot, lambda: popup.open)
            offered = [str(popup.get_option_at_index(i).prompt) for i in range(popup.option_count)]
            assert offered[0] == "app.py" and "apple_notes.md" in offered and "apricot.log" not in offered
            agent_before = app.session.prepared.agent.settings.agent
            await pilot.press("tab")  # accepts the path; does not cycle the agent while the popup is open
            prompt = app.screen.query_one(PromptInput)
            await wait_for(pilot, lambda: prompt.text == "explain @app.py ")
            assert not popup.open and app.session.prepared.agent.settings.agent == agent_before
            for ch in "and @../outside.txt":
                await pilot.press("space" if ch == " " else ch)
            await pilot.press("escape")  # closes the (empty) popup state; Enter then sends
            await pilot.press("enter")
            await wait_for(pilot, lambda: "I read it." in _text(app) and not app.busy)
            assert "not attached: ../outside.txt is outside the project" in _text(app)
            await app.action_quit()

    (workspace.parent / "outside.txt").write_text("SECRET-OUTSIDE\n")
    asyncio.run(scenario())
    sent = _user_texts(llm_server.requests[-1])[-1]
    assert sent.startswith("explain @app.py and @../outside.txt")
    assert '<file path="app.py">\ndef greet():\n    return "helo"' in sent
    assert "SECRET-OUTSIDE" not in sent


def test_enter_accepts_the_highlighted_mention_instead_of_sending(tui_env, llm_server, workspace):
    from codetether.tui.widgets.prompt import PromptInput

    (workspace / "src").mkdir()
    (workspace / "src" / "apex.py").write_text("APEX = 1\n")
    llm_server.script(Reply(text="ok"))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await pilot.click("#prompt")
            for ch in "@ape":
                await pilot.press(ch)
            prompt = app.screen.query_one(PromptInput)
            await wait_for(pilot, lambda: prompt.mentions.open)
            await pilot.press("enter")
            await wait_for(pilot, lambda: prompt.text == "@src/apex.py ")
            assert llm_server.requests == []
            await pilot.press("enter")
            await wait_for(pilot, lambda: "ok" in _text(app) and not app.busy)
            await app.action_quit()

    asyncio.run(scenario())
    assert '<file path="src/apex.py">\nAPEX = 1\n' in _user_texts(llm_server.requests[-1])[-1]


def test_compact_summarises_and_the_next_request_carries_the_summary(tui_env, llm_server, workspace):
    llm_server.script(Reply(text="answer one"), Reply(text="answer two"), Reply(text="SCRIPTED-SUMMARY-7"),
                      Reply(text="answer three"))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "first")
            await wait_for(pilot, lambda: "answer one" in _text(app) and not app.busy)
            await _type(pilot, "second")
            await wait_for(pilot, lambda: "answer two" in _text(app) and not app.busy)
            await _type(pilot, "/compact")
            await wait_for(pilot, lambda: "Compacted 1 messages into a summary" in _text(app))
            await _type(pilot, "third")
            await wait_for(pilot, lambda: "answer three" in _text(app) and not app.busy)
            await app.action_quit()

    asyncio.run(scenario())
    summary_call, last = llm_server.requests[2], llm_server.requests[3]
    assert not summary_call.body.get("tools") and summary_call.body.get("stream") is not True
    users = _user_texts(last)
    assert users[0] == "first" and "SCRIPTED-SUMMARY-7" in users[1] and users[2:] == ["second", "third"]
    assert "answer one" not in str(last.body["messages"])
