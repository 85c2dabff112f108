"""Tool calls in the real TUI (tmux): the line shows the command or file and the diff size, a failure shows its
error text without expanding, and Ctrl+O expands and collapses every call (arguments, output, diff)."""

from __future__ import annotations

import sys
import time

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


def test_tool_views_say_what_happened_and_expand_from_the_keyboard(isolated_env, vault_clean, llm_server,
                                                                   workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color",
           "CODETETHER_CRASH_REPORTING": "false"}
    llm_server.script(
        Reply(tool_calls=[ToolCall("edit", {"path": "app.py", "old_string": '"helo"', "new_string": '"hello"'})]),
        Reply(tool_calls=[ToolCall("bash", {"command": "ls missing-dir-xyz"})]),
        Reply(text="Done: fixed the typo."))
    with Tmux([sys.executable, "-m", "codetether", "tui", "--yes"], env, workspace, width=140, height=45) as term:
        term.until("openai/m")
        term.send("fix the typo", "Enter")
        screen = term.until("Done: fixed the typo.")
        assert "edit: app.py" in screen and "+1 -1" in screen  # what was edited, and how much
        assert "bash: ls missing-dir-xyz" in screen  # the command itself
        assert "No such file or directory" in screen  # the failure's text, without expanding anything
        assert 'return "hello"' not in screen  # collapsed: no diff body yet
        term.send("C-o")
        screen = term.until('+    return "hello"')  # the diff, expanded from the keyboard
        assert '-    return "helo"' in screen and '"command": "ls missing-dir-xyz"' in screen
        term.send("C-o")
        for _ in range(50):
            if '+    return "hello"' not in term.screen():
                break
            time.sleep(0.1)
        assert '+    return "hello"' not in term.screen()  # collapsed again
        term.send("C-q")
        assert term.wait_exit()
