"""The agent's own commands in a workspace (git) run sandboxed too: a repository's config and hooks, which a
model can write, decide what git executes (core.fsmonitor, filters, hooks), so git is as untrusted as bash."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from codetether.sandbox.env import tool_environment
from codetether.sandbox.policy import FsAccess, SandboxPolicy, secret_paths
from codetether.sandbox.probe import backend
from codetether.sandbox.runner import Sandbox, Wrapped


def own_command(argv: list[str], cwd: Path, writable: Sequence[Path] = ()) -> Wrapped:
    """`argv` read-only in `cwd`, or able to write `writable` (and their repositories' .git) only.

    Where the kernel can't sandbox, it runs as it is (the user was told once when the agent started)."""
    env = {**tool_environment(), **({} if writable else {"GIT_OPTIONAL_LOCKS": "0"})}
    if not backend().available:
        return Wrapped(argv, env)
    return _sandbox(Path(os.path.realpath(cwd)), tuple(Path(os.path.realpath(p)) for p in writable)).wrap(argv, cwd)


@functools.lru_cache(maxsize=64)
def _sandbox(cwd: Path, writable: tuple[Path, ...]) -> Sandbox:
    roots = writable or (_repository(cwd),)
    policy = SandboxPolicy(fs=FsAccess.WORKSPACE_WRITE if writable else FsAccess.READ_ONLY, root=roots[0],
                           writable_roots=roots[1:], hidden=(*secret_paths(), *_configured_hidden()), required=False)
    return Sandbox(policy)


@functools.cache
def _configured_hidden() -> tuple[Path, ...]:
    """`[sandbox] hidden_paths` apply to the agent's own git too (a planted filter could read them otherwise)."""
    from codetether.config.load import load
    from codetether.errors import ConfigError

    try:
        values = load().get("sandbox.hidden_paths")
    except ConfigError:
        return ()  # the command reports a broken config itself
    return tuple(Path(os.path.expanduser(v)) for v in values if v.strip())


def _repository(cwd: Path) -> Path:
    """The enclosing repository's top, so git can see all of it from a subdirectory; else `cwd` itself."""
    return enclosing_repository(cwd) or cwd


def enclosing_repository(cwd: Path) -> Path | None:
    """The nearest directory at or above `cwd` (symlinks resolved, as git sees it) holding a .git, else None."""
    real = Path(os.path.realpath(cwd))
    for folder in (real, *real.parents):
        if os.path.exists(folder / ".git"):  # what git can't stat, it passes by too
            return folder
    return None
