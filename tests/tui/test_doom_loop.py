"""Pilot tests: in the TUI a model repeating one call is stopped with a question (the approvals dialog), and a
repaired call is shown as a note."""

from __future__ import annotations

import asyncio

import pytest

from tests.harness.llm_server import Reply, ToolCall
from tests.tui.conftest import make_app, wait_for
from tests.tui.test_chat_flow import _text, _type


@pytest.mark.parametrize("answer", ["n", "y"])
def test_third_identical_call_asks_the_user(tui_env, llm_server, workspace, answer):
    from codetether.tui.screens.dialogs import ApprovalScreen

    same = Reply(tool_calls=[ToolCall("read", {"path": "app.py"})])
    llm_server.script(same, same, same, Reply(text="Moving on."))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "look at app.py")
            await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            request = app.screen.request
            assert request.tool == "read" and "call 3 in a row" in request.subject
            assert "doom-loop guard" in request.rule
            await pilot.press(answer)
            await wait_for(pilot, lambda: "Moving on." in _text(app) and not app.busy)
            assert "called 3 times in a row with the same arguments" in _text(app)
            await app.action_quit()

    asyncio.run(scenario())
    third_result = llm_server.requests[3].body["messages"][-1]
    if answer == "n":
        assert "call 3 in a row of read" in third_result["content"]
    else:
        assert "helo" in third_result["content"]  # it ran: the file's content


def test_a_repaired_call_is_shown_as_a_note(tui_env, llm_server, workspace):
    llm_server.script(Reply(tool_calls=[ToolCall("Read", "{'file_path': 'app.py',}")]), Reply(text="Read it."))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "read app.py")
            await wait_for(pilot, lambda: "Read it." in _text(app) and not app.busy)
            shown = _text(app)
            assert "read: call repaired before it ran" in shown and "parameter 'file_path' read as 'path'" in shown
            await app.action_quit()

    asyncio.run(scenario())
    assert "helo" in llm_server.requests[1].body["messages"][-1]["content"]
