#!/usr/bin/env python3
"""codesearch on this repository: cold index build, no-change refresh, one-file refresh and query latency.

Uses a throwaway data dir so the user's index is untouched; prints a table."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
QUERIES = ["parse the config file", "retry failed HTTP requests", "apply a unified diff to files",
           "which files does gitignore exclude", "store the conversation in sqlite", "stream server sent events",
           "read an API key from vault", "undo the last edit"]


def main() -> int:
    os.environ["CODETETHER_DATA_DIR"] = tempfile.mkdtemp(prefix="codesearch-bench-")
    from codetether.codesearch.embed import unavailable_reason
    from codetether.codesearch.index import CodeIndex

    rows: list[tuple[str, str]] = []
    started = time.perf_counter()
    index = CodeIndex.open(REPO)
    cold = index.refresh()
    embedded, passes = cold.embedded_chunks, 1
    while cold.pending_chunks:  # each refresh embeds for a bounded time; a search in between would work
        cold = index.refresh()
        embedded, passes = embedded + cold.embedded_chunks, passes + 1
    rows.append(("cold build (files / chunks / embedded / refreshes)",
                 f"{time.perf_counter() - started:.2f} s  ({cold.files} / {cold.chunks} / {embedded} / {passes})"))
    started = time.perf_counter()
    warm = CodeIndex.open(REPO)
    warm.refresh()
    rows.append(("open + refresh, nothing changed", f"{(time.perf_counter() - started) * 1000:.0f} ms"))
    latencies = []
    for query in QUERIES:
        t = time.perf_counter()
        hits = warm.search(query, 10)
        latencies.append((time.perf_counter() - t) * 1000)
        print(f"  {query!r:45} -> {hits[0].path}:{hits[0].start} {hits[0].name}" if hits else f"  {query!r}: none")
    rows.append((f"query latency, median of {len(QUERIES)}", f"{statistics.median(latencies):.1f} ms"))
    rows.append(("query latency, max", f"{max(latencies):.1f} ms"))
    print(f"\ncodesearch on {REPO.name} (semantic: {unavailable_reason() or 'on'})\n")
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':{width}} | value |\n|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:{width}} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
