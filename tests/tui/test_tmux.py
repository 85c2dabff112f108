"""The real `codetether tui` in a tmux pseudo-terminal completes a turn against the scripted server."""

from __future__ import annotations

import sys

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


def test_tui_in_tmux_completes_a_turn(isolated_env, vault_clean, llm_server, workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="Scripted answer from the model."))
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color",
           "CODETETHER_CRASH_REPORTING": "false"}  # skips the first-run crash-reporting question
    with Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace) as term:
        term.until("openai/m")
        term.send("say hello", "Enter")
        term.until("Scripted answer from the model.")
        term.send("C-c")
        assert term.wait_exit(), term.screen()
        assert "Traceback" not in term.screen()
    users = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "user"]
    assert users == ["say hello"]
