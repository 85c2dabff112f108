"""Keys as a terminal sends them (tmux): Ctrl+C stops a running turn and then quits, never with a traceback;
Ctrl+P (and F4) open the model picker, since Ctrl+M arrives as Enter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply, Stall
from tests.harness.tmux import HAVE_TMUX, Tmux

pytestmark = pytest.mark.skipif(not HAVE_TMUX, reason="tmux is not installed")


@pytest.fixture
def tui_command_env(isolated_env, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    return {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color",
            "CODETETHER_CRASH_REPORTING": "false"}


def _tui(env, workspace) -> Tmux:
    return Tmux([sys.executable, "-m", "codetether", "tui"], env, workspace, width=100, height=30)


def _start_a_long_turn(term: Tmux, llm_server) -> None:
    term.until("openai/m")
    term.send("think for a long time", "Enter")
    llm_server.wait_for_requests(1, timeout=30)


def test_first_ctrl_c_stops_the_turn_second_quits(tui_command_env, llm_server, workspace):
    llm_server.script(Stall(60, Reply(text="too late")), Reply(text="Answer after the stop."))
    with _tui(tui_command_env, workspace) as term:
        _start_a_long_turn(term, llm_server)
        term.send("C-c")
        term.until("turn stopped")
        assert not term.exited()  # still there: the first press only stopped the turn
        term.send("and now answer", "Enter")  # the session goes on after a stopped turn
        term.until("Answer after the stop.")
        term.send("C-c")  # idle: quits
        assert term.wait_exit(), term.screen()
        screen, status = term.screen(), term.exit_status()
    assert "Traceback" not in screen and "Error" not in screen, screen
    assert status == 0, screen
    assert not (Path(tui_command_env["CODETETHER_DATA_DIR"]) / "crash.log").exists()  # nothing logged either


def test_two_quick_presses_during_a_turn_quit_cleanly(tui_command_env, llm_server, workspace):
    llm_server.script(Stall(60, Reply(text="too late")))
    with _tui(tui_command_env, workspace) as term:
        _start_a_long_turn(term, llm_server)
        term.send("C-c")
        term.send("C-c")
        assert term.wait_exit(), term.screen()
        screen, status = term.screen(), term.exit_status()
    assert "Traceback" not in screen and "Error" not in screen, screen
    assert status == 0, screen
    assert not (Path(tui_command_env["CODETETHER_DATA_DIR"]) / "crash.log").exists()  # nothing logged either


@pytest.mark.parametrize("key", ["C-p", "F4"])
def test_model_picker_opens_from_a_key_terminals_send(tui_command_env, llm_server, workspace, key):
    llm_server.script(Reply(text="answered by the picked model"))
    with _tui(tui_command_env, workspace) as term:
        term.until("openai/m")
        term.send(key)
        term.until("Select Model")
        term.type("openai/gpt-4.1")
        term.send("Enter")
        term.until("Model set to: openai/gpt-4.1")
        term.send("hello", "Enter")
        term.until("answered by the picked model")
        term.send("C-q")
        assert term.wait_exit()
    assert llm_server.requests[-1].body["model"] == "gpt-4.1"
