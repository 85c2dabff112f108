"""In the real TUI (tmux), a `/word` that is no command is refused with a hint instead of going to the model."""

from __future__ import annotations

import sys

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


def test_unknown_slash_commands_are_refused_and_double_slash_sends_text(isolated_env, vault_clean, llm_server,
                                                                         workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color",
           "CODETETHER_CRASH_REPORTING": "false"}
    llm_server.script(Reply(text="first reply"), Reply(text="second reply"))
    with Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace, width=120, height=30) as term:
        term.until("openai/m")
        term.type("/modle gpt-4o")
        term.send("Enter")
        screen = term.until("Unknown command /modle.")
        assert "Did you mean /model?" in screen
        term.type("//modle is a typo of mine")
        term.send("Enter")
        term.until("first reply")
        term.type("/usr/bin/python crashes on start")
        term.send("Enter")
        term.until("second reply")
        term.send("C-q")
        assert term.wait_exit()
    sent = [[m["content"] for m in r.body["messages"] if m["role"] == "user"] for r in llm_server.requests]
    assert sent[0] == ["/modle is a typo of mine"]
    assert sent[1][-1] == "/usr/bin/python crashes on start"
