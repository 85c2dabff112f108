"""Helpers to drive the real `codetether` CLI as a subprocess against the scripted LLM and OpenBao."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

API_KEY = "sk-test-vault-key-0123456789"


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:
        # No input: an empty standard input, never the test runner's (which may be a pipe left open).
        return subprocess.run([sys.executable, "-m", "codetether", *args], cwd=self.cwd, env=env or self.env, check=False,
                              capture_output=True, text=True, timeout=timeout, input=input or "")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text('def greet():\n    return "helo"\n\nprint(greet())\n')
    return root


@pytest.fixture
def cli(isolated_env: dict[str, str], vault_clean, workspace: Path) -> Cli:
    return Cli({**isolated_env, **vault_clean.env()}, workspace)


def allow_local_network(env: dict[str, str]) -> None:
    """Tests whose other end is a local server: webfetch and the a2a tool may reach 127.0.0.1 without asking."""
    config = Path(env["XDG_CONFIG_HOME"]) / "codetether-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    text = config.read_text() if config.exists() else ""
    config.write_text(text + '\n[permission]\nlocal_network = "allow"\n')


def assert_clean_failure(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A failure a user can act on: non-zero exit, the message on stderr, no traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
