"""The first interactive `codetether tui` on a real terminal (tmux) asks for crash-reporting consent once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


def test_first_tui_run_asks_and_saves_the_answer(isolated_env, vault_clean, llm_server, workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color"}
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    for attempt in range(2):
        with Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace, width=100, height=30) as term:
            if attempt == 0:
                screen = term.until("Enable crash reporting now? [y/N]:")
                assert "CodeTether Optional Crash Reporting" in screen and "No source files, API keys" in screen
                term.send("y", "Enter")
            screen = term.until("openai/m")  # the TUI itself started
            assert "Enable crash reporting now?" not in screen  # the second run is not asked again
        text = config.read_text()
        assert "crash_reporting = true" in text and "crash_reporting_prompted = true" in text
