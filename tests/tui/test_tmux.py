"""The real `codetether tui` in a tmux pseudo-terminal completes a turn against the scripted server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.cli.conftest import API_KEY
from tests.harness.llm_server import Reply

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _capture(name: str) -> str:
    # Each test has its own tmux server (-L name), so parallel runs and the user's tmux are untouched.
    return subprocess.run(["tmux", "-L", name, "capture-pane", "-p", "-t", name], capture_output=True,
                          text=True).stdout


def _until(name: str, needle: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout  # an upper bound so a broken TUI fails; not a speed assertion
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(name)
        if needle in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared; screen was:\n{screen}")


def test_tui_in_tmux_completes_a_turn(isolated_env, vault_clean, llm_server, workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(text="Scripted answer from the model."))
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color",
           "CODETETHER_CRASH_REPORTING": "false"}  # skips the first-run crash-reporting question
    name = f"ct-{uuid.uuid4().hex[:8]}"
    tmux_env = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    subprocess.run(["tmux", "-L", name, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", *tmux_env,
                    "-c", str(workspace), sys.executable, "-m", "codetether", "tui"], check=True, env=env)
    try:
        _until(name, "openai/m")
        subprocess.run(["tmux", "-L", name, "send-keys", "-t", name, "say hello", "Enter"], check=True)
        _until(name, "Scripted answer from the model.")
        subprocess.run(["tmux", "-L", name, "send-keys", "-t", name, "C-c"], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and subprocess.run(["tmux", "-L", name, "has-session", "-t", name],
                                                             capture_output=True).returncode == 0:
            time.sleep(0.2)
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)
    users = [m["content"] for m in llm_server.requests[-1].body["messages"] if m["role"] == "user"]
    assert users == ["say hello"]
