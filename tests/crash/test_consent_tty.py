"""The first interactive `codetether tui` on a real terminal (tmux) asks for crash-reporting consent once, in a
dialog over the chat (the screen is drawn first; no line prompt before it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


@pytest.mark.parametrize(("key", "saved"), [("y", "true"), ("Enter", "false")])
def test_first_tui_run_asks_in_a_dialog_and_saves_the_answer(isolated_env, vault_clean, llm_server, workspace,
                                                              key, saved):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color"}
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    for attempt in range(2):
        with Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace, width=100, height=30) as term:
            if attempt == 0:
                screen = term.until("Enable crash reporting now?")
                assert "CodeTether Optional Crash Reporting" in screen and "No source files, API keys" in screen
                term.send(key)
                term.until("Crash reporting enabled" if saved == "true" else "Crash reporting disabled.")
                term.until("openai/m")
            else:
                screen = term.until("openai/m")
                assert "Enable crash reporting now?" not in screen  # asked once only
            term.send("C-q")
            assert term.wait_exit() and term.exit_status() == 0, term.screen()
        text = config.read_text()
        assert f"crash_reporting = {saved}" in text and "crash_reporting_prompted = true" in text
