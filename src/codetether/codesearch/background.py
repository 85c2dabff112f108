"""Background filling: a search returns at once; the vectors it lacked are computed in this process, one daemon
thread per project root, saving as it goes."""

from __future__ import annotations

import threading
from pathlib import Path

from codetether.codesearch.index import BACKGROUND_SLICE_SECS, CodeIndex

_builders: dict[str, threading.Thread] = {}
_builders_lock = threading.Lock()


def fill_in_background(root: Path) -> None:
    """Embed what is pending for `root` in a daemon thread (one per root), saving as it goes: a process that
    ends early leaves the rest to the next search."""
    key = str(root)
    with _builders_lock:
        running = _builders.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_fill, args=(root,), name="codesearch-embed", daemon=True)
        _builders[key] = thread
        thread.start()


def _fill(root: Path) -> None:
    index = CodeIndex.open(root)
    while True:
        stats = index.refresh(embed_budget=BACKGROUND_SLICE_SECS, progress=True)
        progress = stats.embedded_chunks or stats.distilled_tokens or stats.changed_files
        if not stats.pending_chunks or index.model is None or not progress:
            return

