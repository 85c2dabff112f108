"""The approval dialog: [a]lways runs the call and writes the rule (tool/always_allow.py, as ACP's option does)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tests.harness.llm_server import Reply, ToolCall
from tests.tui.conftest import make_app, wait_for
from tests.tui.test_chat_flow import _type


def test_always_runs_the_command_and_stores_the_rule(tui_env, llm_server, workspace):
    import asyncio

    from textual.widgets import Static

    from codetether.tui.screens.dialogs import ApprovalScreen

    config = Path(os.environ["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[permission]\nbash = "ask"\n')
    llm_server.script(Reply(tool_calls=[ToolCall("bash", {"command": "touch made.txt"})]), Reply(text="Made it."),
                      Reply(tool_calls=[ToolCall("bash", {"command": "touch made.txt"})]), Reply(text="Again."))

    async def scenario() -> None:
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None)
            await _type(pilot, "make it")
            await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
            shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
            assert 'always writes: [permission.bash] "touch made.txt" = "allow"' in shown
            await pilot.press("a")
            await wait_for(pilot, lambda: not app.busy and (workspace / "made.txt").exists())
            await _type(pilot, "again")
            await wait_for(pilot, lambda: len(llm_server.requests) == 4 and not app.busy)
            assert not isinstance(app.screen, ApprovalScreen)  # the stored rule answered
            await app.action_quit()

    asyncio.run(scenario())
    assert tomllib.loads(config.read_text())["permission"]["bash"] == {"*": "ask", "touch made.txt": "allow"}
