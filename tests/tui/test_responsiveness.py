"""No handler blocks the TUI's event loop for more than 50 ms while a reply streams into a long session.

The real app runs against the scripted model: a resumed 600-message session, a tool call with a diff, then a long
markdown reply streamed in 500 pieces while keys are typed, the transcript is scrolled and a tool view opened.
Every loop step is timed (tests/tui/loopwatch.py): the CPU it used plus the time it slept in blocking calls; time
the OS gave the CPU to other processes is not counted, so the test holds on a loaded machine.
"""

from __future__ import annotations

import asyncio
import time

from codetether.provider.model import Message
from tests.harness.llm_server import Reply, ToolCall
from tests.tui.conftest import make_app, wait_for
from tests.tui.loopwatch import LoopWatch

LIMIT_MS = 50
HISTORY = 600


def _reply(paragraphs: int) -> str:
    parts = []
    for i in range(paragraphs):
        parts.append(f"### Part {i}\n\nThe loader reads **each key**, checks it against the schema and names the "
                     f"`field_{i}` it rejects, with the type it expected.\n")
        parts.append("\n".join(f"- item {i}.{k}: keep the lock short" for k in range(3)))
        parts.append(f"```python\ndef step_{i}(value):\n" + "".join(f"    value = value + {k}\n" for k in range(12))
                     + "    return value\n```")
    return "\n\n".join(parts)


def _seed(store, project, count: int) -> None:
    info = store.create(str(project.root), project.id, "openai/m", "build", title="a long session")
    for seq in range(count):
        turn = seq // 2 + 1
        if seq % 2 == 0:
            store.begin_turn(info.id, "openai/m", "build", None)
            store.append_message(info.id, turn, Message.text("user", f"question {seq}: fix module_{seq % 40}.py"))
        else:
            store.append_message(info.id, turn, Message.text("assistant", _reply(1) + f"\n\nDone with {seq}."))


def test_a_streaming_session_never_blocks_the_loop(tui_env, llm_server, workspace):
    from codetether.gitinfo import project_for
    from codetether.session.store import SessionStore

    store = SessionStore()
    _seed(store, project_for(workspace), HISTORY)
    store.close()
    text = _reply(12)
    llm_server.router = lambda body: None if body.get("stream") else Reply(text="Summary of the earlier work.")
    llm_server.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'})]),
        Reply(text=text, pieces=500, pace=0.004))

    async def scenario() -> LoopWatch:
        app = make_app(workspace, session_ref="latest")
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.session is not None and "messages loaded" in app.chat.plain_text())
            with LoopWatch(LIMIT_MS) as watch:
                await pilot.click("#prompt")
                for key in "go on":
                    await pilot.press("space" if key == " " else key)
                await pilot.press("enter")
                await wait_for(pilot, lambda: "Part 1" in app.chat.plain_text(), timeout=60)
                # Keys arrive as the terminal driver delivers them (pilot.press would wait for the app to idle).
                for key in [*"typing while it streams", "alt+u", "alt+u", "alt+d", "alt+d"]:
                    app._driver.send_message(_key(key))
                    await asyncio.sleep(0.02)
                tool = next(e for e in app.chat.entries if e.kind == "tool")
                app.chat.toggle_tool(tool)
                await wait_for(pilot, lambda: text[-40:] in app.chat.plain_text() and not app.busy, timeout=60)
                await pilot.pause(0.3)
            assert app.screen.query_one("#prompt").text.endswith("typing while it streams")
            await app.action_quit()
        return watch

    started = time.monotonic()
    watch = asyncio.run(scenario())
    assert watch.steps > 500, "the watch saw too little of the session to judge it"
    assert not watch.stalls, watch.report()
    assert time.monotonic() - started < 120


def _key(key: str):
    from textual import events

    return events.Key("space" if key == " " else key, key if len(key) == 1 else None)


def test_the_watch_names_handlers_that_block():
    from textual.app import App

    class Sluggish(App[None]):
        def on_key(self, event) -> None:
            if event.key == "x":
                time.sleep(0.25)  # what a synchronous SQLite write or subprocess would do
            elif event.key == "y":
                deadline = time.thread_time() + 0.25  # what a synchronous render of a long reply would do
                while time.thread_time() < deadline:
                    pass

    async def scenario() -> LoopWatch:
        app = Sluggish()
        async with app.run_test() as pilot:
            with LoopWatch(LIMIT_MS) as watch:
                await pilot.press("a", "x", "b", "y", "c")
        return watch

    watch = asyncio.run(scenario())
    assert len(watch.stalls) == 2, watch.report()
    # 250 ms leaves the watchdog thread time to take the stack even on a loaded machine
    assert all(stall.blocked_ms >= 200 and "on_key" in stall.stack for stall in watch.stalls), watch.report()
