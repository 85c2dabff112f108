"""A result cache keyed by instruction + model + workspace state, so an identical subtask is not paid twice."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codetether.config.paths import data_dir
from codetether.gitinfo import git_lines
from codetether.tool.support.fsutil import atomic_write

SKIP_DIRS = {".git", "node_modules", ".venv", "__pycache__", "target", ".codetether-worktrees"}
MAX_SCAN_FILES = 20_000


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache:
    """One JSON file per key under <data>/cache/swarm; entries older than the TTL count as misses."""

    def __init__(self, ttl_secs: int, directory: Path | None = None, enabled: bool = True):
        self.dir = directory or data_dir() / "cache" / "swarm"
        self.ttl, self.enabled = ttl_secs, enabled
        self.stats = CacheStats()

    @staticmethod
    def key(instruction: str, model: str, workspace_state: str, context: str = "") -> str:
        text = json.dumps([instruction, model, workspace_state, context])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def get(self, key: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        path = self.dir / f"{key}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if time.time() - float(entry["stored_at"]) <= self.ttl:
                self.stats.hits += 1
                return entry["result"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent or unreadable: a miss, rewritten on success
        self.stats.misses += 1
        return None

    def put(self, key: str, result: dict[str, Any]) -> None:
        if not self.enabled:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.dir / f"{key}.json", json.dumps({"stored_at": time.time(), "result": result}))
        except OSError:
            pass  # a cache that cannot be written only costs a future miss


def workspace_state(root: Path) -> str:
    """git: HEAD plus a hash of the uncommitted diff and untracked names; else sizes and mtimes of the files."""
    head, status, diff = git_lines(root, ("rev-parse", "HEAD"), ("status", "--porcelain", "--untracked-files=all"),
                                   ("diff", "HEAD"))
    if head is not None:
        changes = hashlib.sha256(f"{status}\n{diff}".encode()).hexdigest()[:16]
        return f"git:{head}:{changes}"
    digest, count = hashlib.sha256(), 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            count += 1
            if count > MAX_SCAN_FILES:
                return f"files:{digest.hexdigest()[:16]}:truncated"
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            digest.update(f"{os.path.relpath(dirpath, root)}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return f"files:{digest.hexdigest()[:16]}"
