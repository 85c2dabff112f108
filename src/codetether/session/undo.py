"""Snapshot files before a turn changes them, and put them back byte for byte on `sessions undo`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codetether.errors import CodetetherError
from codetether.session.store import SessionStore, Snapshot
from codetether.tool.base import ToolError
from codetether.tool.support.fsutil import read_bytes, write_file


@dataclass
class Restored:
    turn: int
    path: str
    action: str  # "restored", "recreated", "removed", "already absent" or "failed: <reason>"


def snapshot_hook(store: SessionStore, session_id: str, turn: int, root: Path) -> Callable[[Path], None]:
    """A ToolContext.on_file_change callback saving each path's state the first time this turn touches it."""
    seen: set[Path] = set()

    def on_file_change(path: Path) -> None:
        if path in seen:
            return
        try:
            content: bytes | None = read_bytes(path, _confinement(path, root))
            mode: int | None = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            content, mode = None, None
        try:
            store.save_snapshot(session_id, turn, str(path), content is not None, content, mode)
        except CodetetherError as exc:
            # Changing a file we could not snapshot would make undo silently incomplete.
            raise ToolError(f"cannot record {path} for undo ({exc.message}); the file was not changed") from None
        seen.add(path)

    return on_file_change


def undo_turns(store: SessionStore, session_id: str, count: int = 1) -> tuple[list[int], list[Restored]]:
    """Restore the files of the newest `count` turns not yet undone, newest first, and mark those turns undone.

    A turn with a file that cannot be restored is left marked as not undone (so undo can be retried) and
    older turns are not touched, since their snapshots assume the newer turn was reverted first.
    """
    turns = store.undoable_turns(session_id, count)
    if not turns:
        raise CodetetherError(f"session {session_id} has no turns left to undo")
    done: list[int] = []
    results: list[Restored] = []
    root = Path((store.get(session_id) or _NoInfo()).project_root or "/")
    for turn in turns:
        restored = [Restored(turn, snap.path, restore(snap, root)) for snap in store.snapshots(session_id, turn)]
        results += restored
        if any(r.action.startswith("failed") for r in restored):
            break
        done.append(turn)
    if done:
        files = [{"turn": r.turn, "path": r.path, "action": r.action} for r in results if r.turn in done]
        store.mark_undone(session_id, done, {"turns": done, "files": files})
    return done, results


def restore(snap: Snapshot, root: Path) -> str:
    """Put one file back as the snapshot saw it; returns what was done. Inside the project, nothing is written or
    removed through a symlink that leads out of it (the model could have planted one since)."""
    path = Path(snap.path)
    confined = _confinement(path, root)
    try:
        if not snap.existed:
            if confined is None:
                path.unlink()
            else:
                from codetether.sandbox import beneath

                beneath.unlink(confined, path)
            return "removed"
        existed_now = path.exists()
        write_file(path, snap.content or b"", confined)
        if snap.mode is not None and confined is None:
            os.chmod(path, snap.mode & 0o777)
        elif snap.mode is not None:
            _chmod_beneath(confined, path, snap.mode & 0o777)
        return "restored" if existed_now else "recreated"
    except FileNotFoundError:
        return "already absent"
    except OSError as exc:
        return f"failed: {exc.strerror or exc}"


def _chmod_beneath(root: Path, path: Path, mode: int) -> None:
    from codetether.sandbox import beneath

    fd = beneath.open_beneath(root, path, os.O_RDONLY)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _confinement(path: Path, root: Path) -> Path | None:
    return root if path == root or root in path.parents else None


class _NoInfo:
    project_root = ""
