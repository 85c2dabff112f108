"""progress.txt: the run's shared notebook; the agent appends learnings, the loop one line per iteration."""

from __future__ import annotations

import datetime
import errno
import os
from pathlib import Path

TAIL_CHARS = 4000
TAIL_LINES = 60


def append(path: Path, text: str) -> None:
    """Append text as whole lines; a file the agent left without a final newline gets one first. Never through a
    symlink: the agent could have pointed progress.txt anywhere."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        os.unlink(path)  # a link put in its place: the notebook becomes a plain file again
        fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        handle.write(text.rstrip("\n").encode() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def iteration_line(iteration: int, story_id: str, title: str, outcome: str) -> str:
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return f"[ralph {stamp}] iteration {iteration} · {story_id} {title}: {outcome}"


def tail(path: Path, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last lines of the file, at most `chars` of them; empty when there is no file yet."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - chars * 4))
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    kept = text.splitlines()[-lines:]
    out = "\n".join(kept)
    return out[-chars:] if len(out) > chars else out
