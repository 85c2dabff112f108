"""Turn a policy into a bubblewrap command line: the filesystem view, namespaces and lifetime of one command."""

from __future__ import annotations

import os
from pathlib import Path

from codetether.sandbox.policy import FsAccess, SandboxPolicy
from codetether.sandbox.probe import Backend


def bwrap_argv(backend: Backend, policy: SandboxPolicy, private_tmp: Path, cwd: Path,
               command: list[str]) -> list[str]:
    """`command` wrapped so the kernel enforces `policy`; order matters, as each mount covers the ones before."""
    assert backend.bwrap is not None
    argv = [backend.bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL"]
    if backend.disable_userns:
        argv.append("--disable-userns")
    if not policy.network and policy.fs is not FsAccess.FULL:
        argv.append("--unshare-net")
    if policy.fs is FsAccess.FULL:
        argv += ["--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc"]
    else:
        argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", str(private_tmp), "/tmp"]
    hidden = [p for p in map(_real, policy.hidden) if p is not None]
    argv += _hide(hidden)
    shown: list[Path] = []
    for path in (p for p in map(_real, policy.writable) if p is not None and p.is_dir()):
        argv += ["--bind", str(path), str(path)]
        shown.append(path)
    # What lives under the host's /tmp (a workspace, a swarm worktree) must stay visible, read-only if not writable.
    for path in dict.fromkeys(p for p in map(_real, (*policy.roots, cwd)) if p is not None and p.is_dir()):
        if policy.fs is not FsAccess.FULL and not any(path == w or w in path.parents for w in shown):
            argv += ["--ro-bind", str(path), str(path)]
            shown.append(path)
    # A secret inside a bound directory (a data dir in the project) is hidden again above its bind.
    argv += _hide([h for h in hidden if any(h == p or p in h.parents for p in shown)])
    # Read-only last: a directory bound inside a hidden one needed its mount point created first.
    for path in hidden:
        if path.is_dir():
            argv += ["--remount-ro", str(path)]
    return [*argv, "--chdir", str(cwd), "--", *command]


def _hide(paths: list[Path]) -> list[str]:
    """An empty directory over each secret directory, /dev/null over each secret file."""
    argv: list[str] = []
    for path in paths:
        argv += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", os.devnull, str(path)]
    return argv


def _real(path: Path) -> Path | None:
    """The path with symlinks resolved (mounts apply to real paths), or None when it does not exist."""
    try:
        real = Path(os.path.realpath(path))
        return real if real.exists() else None
    except OSError:
        return None
