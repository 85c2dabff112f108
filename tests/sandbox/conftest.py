"""The sandbox corpus drives the real CLI with a scripted model that sends the attacks as tool calls."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import API_KEY, Cli

from codetether.sandbox.probe import backend

requires_sandbox = pytest.mark.skipif(not backend().available, reason=f"no kernel sandbox here: {backend().problem}")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the workspace and outside /tmp (which every sandbox replaces with its own), so the
    sandbox shows it read-only rather than not at all: writes into it must fail because the kernel refuses them."""
    path = Path("/var/tmp") / f"codetether-escape-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    (path / "existing").write_text("original\n")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text('def greet():\n    return "helo"\n')
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    return root


@pytest.fixture
def agent_cli(isolated_env: dict[str, str], vault_clean, llm_server, repo: Path, outside: Path) -> Cli:
    """The CLI in `repo`, its provider in Vault, its Vault token in a token file and its data dir outside /tmp."""
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env()}
    token_file = outside / "vault-token"
    token_file.write_text(env.pop("VAULT_TOKEN"))
    data = outside / "data"
    data.mkdir()
    env.update(VAULT_TOKEN_FILE=str(token_file), CODETETHER_DATA_DIR=str(data))
    return Cli(env, repo)
