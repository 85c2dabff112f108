"""Build an agent's sandbox from the config's [sandbox] table, the command line and the agent's kind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetether.sandbox.policy import SandboxPolicy, fs_access_for, secret_paths
from codetether.sandbox.runner import Sandbox

if TYPE_CHECKING:
    from codetether.config.load import Config


def sandbox_for(config: Config | None, root: Path, agent: str = "build",
                protected: tuple[Path, ...] | None = None) -> Sandbox:
    """The sandbox an agent of kind `agent` gets in `root` (defaults when there is no config); `protected`, the
    project config paths it keeps read-only when the caller already has them (protected_for)."""
    get = config.get if config is not None else _default
    access_mode = get("sandbox.access_mode")
    policy = SandboxPolicy(
        fs=fs_access_for(access_mode, agent), root=root,
        writable_roots=tuple(_paths(get("sandbox.writable_roots"))), network=bool(get("sandbox.network")),
        hidden=(*secret_paths(), *_paths(get("sandbox.hidden_paths"))),
        required=bool(get("sandbox.required")), protected=protected_for(root) if protected is None else protected,
        unix_sockets=bool(get("sandbox.unix_sockets")))
    return Sandbox(policy, tuple(get("sandbox.env_keep")), access_mode)


def protected_for(root: Path) -> tuple[Path, ...]:
    from codetether.config.project import protected_paths

    return tuple(protected_paths(root, Path.cwd()))  # project config is read from the cwd too


def _paths(values: list[str]) -> list[Path]:
    return [Path(os.path.expanduser(v)) for v in values if v.strip()]


def _default(dotted: str) -> Any:
    from codetether.config.schema import BY_NAME

    return BY_NAME[dotted].default
