"""Facts about the git repository around a directory, read with the git CLI (absent git = not a repo)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_root(cwd: Path) -> Path | None:
    root = git(cwd, "rev-parse", "--show-toplevel")
    return Path(root).resolve() if root else None


def branch_and_dirty(cwd: Path) -> tuple[str | None, bool]:
    status = git(cwd, "status", "--porcelain=v1", "--branch", "--untracked-files=no")
    if status is None:
        return None, False
    lines = status.splitlines()
    head = lines[0][3:] if lines and lines[0].startswith("## ") else ""
    branch = head.split("...")[0].replace("No commits yet on ", "") or "HEAD"
    return branch, len(lines) > 1


@dataclass(frozen=True)
class Project:
    root: Path
    id: str  # the repository's first commit, so clones and worktrees of one repo share it; else the path
    branch: str | None


def project_for(cwd: Path) -> Project:
    root = git_root(cwd)
    if root is None:
        return Project(cwd.resolve(), f"path:{cwd.resolve()}", None)
    first = git(root, "rev-list", "--max-parents=0", "HEAD")
    branch, _ = branch_and_dirty(root)
    return Project(root, f"git:{first.splitlines()[0]}" if first else f"path:{root}", branch)
