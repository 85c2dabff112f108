"""The PRD branch and its commits, through the git CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codetether.errors import CodetetherError
from codetether.gitinfo import run_git

# Used only when the repository has no identity configured, so a fresh machine can still commit.
FALLBACK_IDENTITY = ("-c", "user.name=codetether ralph", "-c", "user.email=ralph@codetether.invalid")


class GitError(CodetetherError):
    """A git command Ralph needs failed; the message carries git's own words."""


def _git(root: Path, *args: str, timeout: float = 60, write: bool = False) -> subprocess.CompletedProcess[str]:
    try:
        return run_git(root, *args, timeout=timeout, writable=[root] if write else ())
    except FileNotFoundError:
        raise GitError("git is not installed; Ralph needs it for the PRD branch and commits") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {' '.join(args)}` did not finish within {timeout:.0f} s") from None


def _ok(root: Path, *args: str) -> str:
    """A git command that changes the repository (checkout, add, commit): it may write the repository only."""
    proc = _git(root, *args, write=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise GitError(f"`git {' '.join(args)}` failed: {' '.join(detail[-3:]) or f'exit {proc.returncode}'}")
    return proc.stdout.strip()


def repo_root(path: Path) -> Path:
    """The folder holding .git, not git's top: a repository's core.worktree could point that anywhere."""
    from codetether.sandbox.own import enclosing_repository

    root = enclosing_repository(path)
    if root is None or _git(path, "rev-parse", "--show-toplevel").returncode != 0:
        raise GitError(f"{path} is not inside a git repository; Ralph commits each passing story",
                       "Run `git init` there (and commit your starting point) first.")
    return root


def current_branch(root: Path) -> str | None:
    proc = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None


def checkout_branch(root: Path, branch: str) -> str:
    """Switch to the PRD branch, creating it from the current HEAD if absent; returns what was done."""
    if _git(root, "check-ref-format", "--branch", branch).returncode != 0:
        raise GitError(f"the PRD's branch '{branch}' is not a valid git branch name",
                       "Change 'branch' in the PRD, e.g. feature/my-feature.")
    if current_branch(root) == branch:
        return "current"
    exists = _git(root, "rev-parse", "--verify", "-q", f"refs/heads/{branch}").returncode == 0
    if exists:
        _refuse_config_change(root, branch)
    _ok(root, "checkout", *([branch] if exists else ["-b", branch]))
    return "switched to" if exists else "created"


def _refuse_config_change(root: Path, branch: str) -> None:
    """The project config stays read-only to Ralph's git (a repository's filter must not plant it), and git's
    checkout, unable to update it, still switches branches and exits 0: the PRD branch would go on with the other
    branch's config in its work tree and commit it with the next story. Refused before anything moves."""
    proc = _git(root, "diff", "--name-only", "HEAD", f"refs/heads/{branch}", "--", ":(top).codetether",
                ":(top)codetether.toml")
    changed = proc.stdout.split() if proc.returncode == 0 else []
    if changed:
        raise GitError(f"the PRD's branch '{branch}' holds another version of the project config "
                       f"({', '.join(changed[:3])}), which Ralph's git may not change",
                       f"Switch to it yourself first (git checkout {branch}), then run Ralph again.")


def commit_all(root: Path, message: str) -> str:
    """Stage everything (.gitignore applies) and commit; returns the short hash."""
    _ok(root, "add", "-A")
    identity = () if _git(root, "config", "user.email").returncode == 0 and \
        _git(root, "config", "user.name").returncode == 0 else FALLBACK_IDENTITY
    _ok(root, *identity, "commit", "--allow-empty", "-q", "-m", message)
    return _ok(root, "rev-parse", "--short", "HEAD")


def recent_log(root: Path, count: int = 10) -> str:
    proc = _git(root, "log", f"-{count}", "--format=%h %s (%cr)")
    return proc.stdout.strip() if proc.returncode == 0 else ""


def short_status(root: Path) -> str:
    proc = _git(root, "status", "--short")
    return proc.stdout.strip() if proc.returncode == 0 else ""
