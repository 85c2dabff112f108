"""Facts about the git repository around a directory, read with the git CLI (absent git = not a repo)."""

from __future__ import annotations

import os
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


def run_git(cwd: Path, *args: str, timeout: float = 60, writable: Sequence[Path] = (),
            config_writable: bool = False) -> subprocess.CompletedProcess[str]:
    """One git command, sandboxed (read-only unless `writable` names what it may change; own_command), its output
    captured and no stdin; OSError and TimeoutExpired are the caller's."""
    wrapped = git_command(args, cwd, writable, config_writable)
    return subprocess.run(wrapped.argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=wrapped.env,
                          pass_fds=wrapped.pass_fds, stdin=subprocess.DEVNULL, check=False)


def git_command(args: Sequence[str], cwd: Path, writable: Sequence[Path] = (),
                config_writable: bool = False) -> Wrapped:
    """git as the agent runs it: in the sandbox, with hooks and the fsmonitor off even where there is none."""
    from codetether.sandbox.own import own_command

    return own_command(["git", *HARDENED, *args], cwd, writable, config_writable=config_writable)


# Settings a repository's own config can't override from the command line's precedence.
HARDENED = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


def git_lines(cwd: Path, *commands: tuple[str, ...], timeout: float = 5) -> list[str | None]:
    """Run read-only git commands one after another in one sandbox (a sandbox costs more than git itself): each
    gives its stripped stdout, or None on failure or when `timeout` ran out before it finished."""
    from codetether.sandbox.own import own_command

    if len(commands) == 1:
        argv, script = None, b""
    else:
        # Several: each one's output is followed by its exit status, behind a random token. The script goes in on
        # stdin, read whole before anything runs, so the token is in no process's argv (printf is sh's own) and
        # not left in a pipe. A program git starts (a filter) could still read sh's memory where the kernel allows
        # it and forge what follows: these answers name and describe the project, and nothing that guards
        # anything trusts them.
        import shlex

        token = os.urandom(12).hex()
        script = "".join(f"{shlex.join(('git', *HARDENED, *args))} </dev/null; printf '\\n{token} %d\\n' $?\n"
                         for args in commands).encode()
        argv = ["sh", "-c", 'eval "$(cat)"']
    try:
        wrapped = git_command(commands[0], cwd) if argv is None else own_command(argv, cwd)
        proc = subprocess.run(wrapped.argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env=wrapped.env, pass_fds=wrapped.pass_fds, timeout=timeout, check=False,
                              input=script)
        rest, status = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as exc:
        rest, status = (exc.stdout or b"").decode(errors="replace"), None  # what finished in time still counts
    except OSError:
        rest, status = "", None
    if len(commands) == 1:
        return [rest.strip() if status == 0 else None]
    results: list[str | None] = []
    for _ in commands:
        text, found, rest = rest.partition(f"\n{token} ")
        code, _, rest = rest.partition("\n")
        results.append(text.strip() if found and code == "0" else None)
    return results


def project_for(cwd: Path) -> Project:
    from codetether.sandbox.own import enclosing_repository

    repository = enclosing_repository(cwd)
    if repository is None:  # git finds a repository only through a .git (GIT_DIR is not passed)
        return Project(cwd.resolve(), f"path:{cwd.resolve()}", None)
    # The slow ones last: a timeout costs only what had not finished.
    top, branch, head, roots, status = git_lines(
        cwd, ("rev-parse", "--show-toplevel"), ("symbolic-ref", "--short", "-q", "HEAD"),
        ("rev-parse", "--verify", "-q", "HEAD"), ("rev-list", "--max-parents=0", "HEAD"),
        ("status", "--porcelain", "--untracked-files=no"))
    if top is None:
        return Project(cwd.resolve(), f"path:{cwd.resolve()}", None)
    # Not git's top: the repository's config (core.worktree) decides that, and the root is where the agent's
    # commands may write. The folder holding .git is the top whenever the config says nothing odd.
    root = repository
    first = sorted(roots.split())[0] if roots else None
    return Project(root, f"git:{first}" if first else f"path:{root}", branch or "HEAD (detached)", bool(status),
                   head or None)


def current_branch(cwd: Path) -> str | None:
    [branch] = git_lines(cwd, ("symbolic-ref", "--short", "-q", "HEAD"))
    return branch
