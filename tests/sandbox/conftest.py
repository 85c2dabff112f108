"""The sandbox corpus drives the real CLI with a scripted model that sends the attacks as tool calls."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import Cli

from codetether.sandbox.probe import backend

requires_sandbox = pytest.mark.skipif(not backend().available, reason=f"no kernel sandbox here: {backend().problem}")


def run_in(sandbox, cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    """`command` through sh in `sandbox`, as the bash tool would start it (output captured)."""
    wrapped = sandbox.wrap(["sh", "-c", command], cwd)
    return subprocess.run(wrapped.argv, cwd=cwd, env=wrapped.env, pass_fds=wrapped.pass_fds, capture_output=True,
                          text=True, check=False)


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
    api_key = f"sk-sandbox-test-{uuid.uuid4().hex}"  # unique: a copy elsewhere on the host can't be mistaken
    vault_clean.put_provider("openai", api_key=api_key, base_url=llm_server.base_url_openai)
    env = {**isolated_env, **vault_clean.env()}
    (outside / "secrets").mkdir()
    token_file = outside / "secrets" / "vault-token"  # a Vault Agent sink keeps its own directory
    env.pop("VAULT_TOKEN")
    token_file.write_text(_child_token(vault_clean))  # this test's own: no other test leaves a copy anywhere
    data = outside / "data"
    data.mkdir()
    env.update(VAULT_TOKEN_FILE=str(token_file), CODETETHER_DATA_DIR=str(data))
    cli = Cli(env, repo)
    cli.api_key = api_key  # type: ignore[attr-defined]
    return cli


def _child_token(vault) -> str:
    import httpx

    resp = httpx.post(f"{vault.addr}/v1/auth/token/create", headers={"X-Vault-Token": vault.token},
                      json={"ttl": "1h"}, timeout=10, trust_env=False)
    resp.raise_for_status()
    return resp.json()["auth"]["client_token"]
