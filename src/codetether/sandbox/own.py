"""The agent's own commands in a workspace (git) run sandboxed too: a repository's config and hooks, which a
model can write, decide what git executes (core.fsmonitor, filters, hooks), so git is as untrusted as bash."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from codetether.sandbox.policy import FsAccess, SandboxPolicy, secret_paths
from codetether.sandbox.probe import backend
from codetether.sandbox.runner import Sandbox, SandboxUnavailable, Wrapped


class OwnCommandRefused(SandboxUnavailable, OSError):
    """The agent's own command may not run: no sandbox here, and the user has not opted out of needing one."""


def own_command(argv: list[str], cwd: Path, writable: Sequence[Path] = (), *,
                config_writable: bool = False) -> Wrapped:
    """`argv` read-only in `cwd`, or able to write `writable` (and their repositories' .git) only, never the
    project config there (`config_writable`: but a replay's checkout writes the one its commit holds) nor the
    user's config folder.

    Where the kernel can't sandbox, it runs as it is only if the user opted in (`[sandbox] required = false` or
    --access-mode full), as for the model's commands: a repository's filters would otherwise run on the host.
    Else OwnCommandRefused (an OSError, which callers already meet when git can't start)."""
    # No lazy fetch of missing objects: a partial clone's promisor remote names a program (ext::, a helper).
    extra = {"GIT_NO_LAZY_FETCH": "1", **({} if writable else {"GIT_OPTIONAL_LOCKS": "0"})}
    real = Path(os.path.realpath(cwd))  # a relative cwd would be read inside the sandbox, where it means nothing
    unsandboxed_ok = not backend().available and _unsandboxed_allowed()  # the config is read only where it counts
    sandbox = _sandbox(real, tuple(Path(os.path.realpath(p)) for p in writable), unsandboxed_ok, config_writable,
                       _here())
    try:
        return sandbox.wrap(argv, real, extra)
    except SandboxUnavailable as exc:
        raise OwnCommandRefused(str(exc)) from None


@functools.lru_cache(maxsize=64)
def _sandbox(cwd: Path, writable: tuple[Path, ...], unsandboxed_ok: bool, config_writable: bool,
             here: Path | None) -> Sandbox:
    from codetether.config.project import protected_paths

    roots = writable or (_repository(cwd),)
    # What git may write, a repository's filter may too: it must not plant settings or skills for the next run,
    # the project config of the folder the agent was started in (`here`, which a run there reads) included.
    protected = () if not writable else _user_config() if config_writable else \
        tuple(protected_paths(*writable, *((here,) if here is not None else ())))
    policy = SandboxPolicy(fs=FsAccess.WORKSPACE_WRITE if writable else FsAccess.READ_ONLY, root=roots[0],
                           writable_roots=roots[1:], hidden=(*secret_paths(), *_configured_hidden()),
                           required=not unsandboxed_ok, protected=protected)
    return Sandbox(policy)


def _here() -> Path | None:
    """The agent's current directory (the model's sandbox guards its project config too: protected_for)."""
    try:
        return Path.cwd()
    except OSError:
        return None


def _user_config() -> tuple[Path, ...]:
    """The user's config folder, should a repository git may write hold it (a dotfiles repository in $HOME): it
    names the MCP servers the next run starts unsandboxed."""
    from codetether.config.paths import config_dir

    return tuple(dict.fromkeys((config_dir(), Path(os.path.realpath(config_dir())))))


@functools.cache
def _unsandboxed_allowed() -> bool:
    """Whether the config (the command line's --access-mode included) lets commands run without a sandbox."""
    from codetether.config.load import load
    from codetether.errors import ConfigError

    try:
        config = load()
        return config.get("sandbox.access_mode") == "full" or not config.get("sandbox.required")
    except ConfigError:
        return False  # the command reports a broken config itself


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
