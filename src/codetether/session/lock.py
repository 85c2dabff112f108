"""One writer per session across processes: a turn holds the session's lock file; another process waits its turn
(saying whose turn it is) rather than racing it for the next turn number and losing its prompt."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

POLL_SECS = 0.1


def lock_path(data: Path, session_id: str) -> Path:
    return data / "locks" / f"session-{session_id}.lock"


@contextlib.asynccontextmanager
async def session_turn(path: Path, on_wait: Callable[[str], None] | None = None) -> AsyncIterator[None]:
    """Hold the session for one turn; wait (cancellably, polling) while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    on_wait(_holder(fd))
                    told = True
                await asyncio.sleep(POLL_SECS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} codetether {' '.join(sys.argv[1:3])}".encode()[:200], 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """Who holds it, as they wrote it: `pid 1234 (codetether tui)`."""
    text = os.pread(fd, 200, 0).decode(errors="replace").strip()
    pid, _, command = text.partition(" ")
    return f"pid {pid} ({command.strip() or 'codetether'})" if pid.isdigit() else "another codetether process"
