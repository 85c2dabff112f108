"""Per-PRD run state kept outside the repository (attempts, last failure output, runs), rewritten atomically."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codetether.config.paths import data_dir
from codetether.errors import CodetetherError
from codetether.tool.support.fsutil import atomic_write


@dataclass
class StoryState:
    attempts: int = 0
    last_failure: str | None = None  # the failing check's captured output, shown to the next attempt
    last_failure_line: str | None = None  # one line for `ralph status`


@dataclass
class RunState:
    prd: str
    iterations: int = 0  # over every run of this PRD
    stories: dict[str, StoryState] = field(default_factory=dict)
    last_run: dict[str, Any] = field(default_factory=dict)

    def story(self, story_id: str) -> StoryState:
        return self.stories.setdefault(story_id, StoryState())

    def save(self) -> None:
        path = state_path(Path(self.prd))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n")


def state_path(prd_path: Path, suffix: str = ".json") -> Path:
    """Kept in the data dir, keyed by the PRD's absolute path, so it never lands in the project's commits."""
    key = hashlib.sha256(str(prd_path.resolve()).encode()).hexdigest()[:16]
    return data_dir() / "ralph" / f"{key}{suffix}"


def load_state(prd_path: Path) -> RunState:
    path = state_path(prd_path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        stories = {k: StoryState(**v) for k, v in raw.get("stories", {}).items()}
        return RunState(str(prd_path.resolve()), int(raw.get("iterations", 0)), stories, raw.get("last_run") or {})
    except FileNotFoundError:
        return RunState(str(prd_path.resolve()))
    except (OSError, ValueError, TypeError, AttributeError):
        # The state only adds history to the PRD; a damaged file is started afresh rather than blocking work.
        return RunState(str(prd_path.resolve()))


@contextlib.contextmanager
def run_lock(prd_path: Path) -> Iterator[None]:
    """Hold an exclusive lock for one run, so two runs never work the same PRD at once."""
    path = state_path(prd_path, ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise CodetetherError(f"another ralph run (pid {pid}) is already working on {prd_path}",
                                  "Wait for it to finish, or stop it first.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process releases it too


def running_pid(prd_path: Path) -> int | None:
    """The pid of a run holding the lock right now, else None."""
    path = state_path(prd_path, ".lock")
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
