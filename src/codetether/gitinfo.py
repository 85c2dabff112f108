"""Facts about the git repository around a directory, read with the git CLI (absent git = not a repo)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codetether.sandbox import Wrapped


@dataclass(frozen=True)
class Project:
    root: Path  # the enclosing repository's top level, else the directory itself
    id: str  # the repository's first commit, so clones and worktrees of one repo share it; else the path
    branch: str | None
    dirty: bool = False  # tracked files changed since `head`
    head: str | None = None  # the commit checked out (None: not a repository, or no commit yet)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id its sessions may carry: sessions started before the first commit have the path id."""
        path_id = f"path:{self.root}"
        return (self.id,) if self.id == path_id else (self.id, path_id)


def run_git(cwd: Path, *args: str, timeout: float = 60,
            writable: Sequence[Path] = ()) -> subprocess.CompletedProcess[str]:
    """One git command, sandboxed (read-only unless `writable` names what it may change), its output captured
    and no stdin; OSError and TimeoutExpired are the caller's."""
    wrapped = git_command(args, cwd, writable)
    return subprocess.run(wrapped.argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=wrapped.env,
                          pass_fds=wrapped.pass_fds, stdin=subprocess.DEVNULL, check=False)


def git_command(args: Sequence[str], cwd: Path, writable: Sequence[Path] = ()) -> Wrapped:
    """git as the agent runs it: in the sandbox, with hooks and the fsmonitor off even where there is none."""
    from codetether.sandbox.own import own_command

    return own_command(["git", *HARDENED, *args], cwd, writable)


# Settings a repository's own config can't override from the command line's precedence.
HARDENED = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


def git_lines(cwd: Path, *commands: tuple[str, ...]) -> list[str | None]:
    """Run several read-only git commands at once; each gives its stripped stdout, or None on failure."""
    procs: list[subprocess.Popen[str] | None] = []
    for args in commands:
        try:
            wrapped = git_command(args, cwd)
            procs.append(subprocess.Popen(wrapped.argv, cwd=cwd, stdout=subprocess.PIPE, env=wrapped.env,
                                          pass_fds=wrapped.pass_fds, stderr=subprocess.DEVNULL,
                                          stdin=subprocess.DEVNULL, text=True))
        except OSError:
            procs.append(None)
    results: list[str | None] = []
    for proc in procs:
        if proc is None:
            results.append(None)
            continue
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            results.append(None)
            continue
        results.append(out.strip() if proc.returncode == 0 else None)
    return results


def project_for(cwd: Path) -> Project:
    top, branch, roots, status, head = git_lines(
        cwd, ("rev-parse", "--show-toplevel"), ("symbolic-ref", "--short", "-q", "HEAD"),
        ("rev-list", "--max-parents=0", "HEAD"), ("status", "--porcelain", "--untracked-files=no"),
        ("rev-parse", "--verify", "-q", "HEAD"))
    if top is None:
        return Project(cwd.resolve(), f"path:{cwd.resolve()}", None)
    root = Path(top).resolve()
    first = sorted(roots.split())[0] if roots else None
    return Project(root, f"git:{first}" if first else f"path:{root}", branch or "HEAD (detached)", bool(status),
                   head or None)


def current_branch(cwd: Path) -> str | None:
    [branch] = git_lines(cwd, ("symbolic-ref", "--short", "-q", "HEAD"))
    return branch
