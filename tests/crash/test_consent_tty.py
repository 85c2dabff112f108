"""The first interactive `codetether tui` on a real terminal (tmux) asks for crash-reporting consent once."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import API_KEY
from tests.tui.test_tmux import _until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _start(name: str, env: dict[str, str], cwd: Path) -> None:
    tmux_env = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    subprocess.run(["tmux", "-L", name, "new-session", "-d", "-s", name, "-x", "100", "-y", "30", *tmux_env,
                    "-c", str(cwd), sys.executable, "-m", "codetether", "tui"], check=True, env=env)


def test_first_tui_run_asks_and_saves_the_answer(isolated_env, vault_clean, llm_server, workspace):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env(), "CODETETHER_DEFAULT_MODEL": "openai/m", "TERM": "xterm-256color"}
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    for attempt in range(2):
        name = f"ct-consent-{uuid.uuid4().hex[:8]}"
        _start(name, env, workspace)
        try:
            if attempt == 0:
                screen = _until(name, "Enable crash reporting now? [y/N]:")
                assert "CodeTether Optional Crash Reporting" in screen and "No source files, API keys" in screen
                subprocess.run(["tmux", "-L", name, "send-keys", "-t", name, "y", "Enter"], check=True)
            screen = _until(name, "openai/m")  # the TUI itself started
            assert "Enable crash reporting now?" not in screen  # the second run is not asked again
        finally:
            subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)
        text = config.read_text()
        assert "crash_reporting = true" in text and "crash_reporting_prompted = true" in text
