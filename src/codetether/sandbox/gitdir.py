"""The one place outside the workspace a sandbox may write on its own: a linked worktree's main `.git`.

The workspace's `.git` file is the model's to write, so it proves nothing by itself: the directory it names is
only trusted when git's own back-reference (`<gitdir>/gitdir`, outside the workspace and so out of the model's
reach) names this worktree, and it is a real repository's git directory that is not a home or the root."""

from __future__ import annotations

import os
from pathlib import Path


def linked_common_dir(root: Path) -> Path | None:
    """The main repository's git directory when `root` is a genuine linked worktree of it, else None."""
    dot_git = root / ".git"
    try:
        if dot_git.is_symlink() or not dot_git.is_file():
            return None
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(os.path.realpath(root / text[len("gitdir:"):].strip()))
    if gitdir == root or root in gitdir.parents or gitdir.parent.name != "worktrees":
        return None  # inside the workspace it needs no extra root; elsewhere it must be <common>/worktrees/<name>
    common = gitdir.parent.parent
    try:
        points_back = Path(os.path.realpath((gitdir / "gitdir").read_text(encoding="utf-8").strip()))
    except OSError:
        return None
    if points_back != Path(os.path.realpath(dot_git)):
        return None
    if not ((common / "objects").is_dir() and (common / "HEAD").is_file() and common.name.endswith(".git")):
        return None
    if _protected(common):
        return None
    return common


def _protected(path: Path) -> bool:
    """The root, a home directory or anything holding codetether's data is never made writable this way."""
    from codetether.config.paths import data_dir

    home = Path(os.path.realpath(os.path.expanduser("~")))
    data = Path(os.path.realpath(data_dir()))
    return path == Path("/") or path == home or path in home.parents or path == data or path in data.parents
