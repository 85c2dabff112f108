"""What went wrong with the session database, said for the user: where it is, why, and what to do."""

from __future__ import annotations

from pathlib import Path

from codetether.errors import CodetetherError


def storage_error(path: Path, exc: BaseException, opening: bool = False) -> CodetetherError:
    """What went wrong with the session database, where, and what the user can do; the sessions so far are kept."""
    text = str(exc)
    folder = path.parent
    if "full" in text or getattr(exc, "errno", None) == 28 or _nearly_full(folder):
        why, hint = "the disk is full", f"Free space on the disk holding {folder}, or set CODETETHER_DATA_DIR elsewhere."
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        why, hint = "it is read-only", f"Make {folder} writable, or set CODETETHER_DATA_DIR to a writable directory."
    elif "locked" in text or "busy" in text:
        why, hint = "another process holds it locked", "Wait for the other codetether process, then try again."
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why, hint = "it is damaged", f"Move {path} aside to start a fresh one; earlier sessions stay in the moved file."
    else:
        why, hint = text, f"Check {folder} (CODETETHER_DATA_DIR), or move {path} aside to start a fresh one."
    verb = "opened" if opening else "written"
    return CodetetherError(f"the session database {path} cannot be {verb}: {why} ({text})",
                           hint + (" The session so far is kept." if not opening else ""))


def _nearly_full(folder: Path) -> bool:
    """SQLite often reports a full disk as a plain I/O error: look at the disk itself."""
    import shutil

    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False
