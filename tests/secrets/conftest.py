"""A user environment without VAULT_ADDR: codetether manages its own OpenBao under the (temporary) data dir."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, cli, workspace  # noqa: F401 - fixtures, re-exported


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def local_cli(isolated_env: dict[str, str], project: Path) -> Iterator[Cli]:
    """`codetether` as a subprocess with no Vault configured; the local vault it starts is stopped afterwards."""
    from codetether.secrets.local_vault import LocalVault

    env = {**isolated_env, "CODETETHER_CRASH_REPORTING": "false"}
    yield Cli(env, project)
    LocalVault(Path(env["CODETETHER_DATA_DIR"]) / "vault").stop()


def codetether_command() -> list[str]:
    return [sys.executable, "-m", "codetether"]
