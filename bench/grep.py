#!/usr/bin/env python3
"""The grep tool over a ~200 MB tree beside plain `rg` on the same tree (median of N runs)."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from codetether.tool.base import ToolContext
from codetether.tool.registry import load_tool

WORDS = ("def class return import self value result config parse load save item index count error "
         "request response client server session token model tool agent").split()


def build_tree(root: Path, megabytes: int) -> None:
    """Deterministic code-like files; 'NEEDLE_7f3a' appears in exactly 12 of them."""
    rng = random.Random(7)
    files, size = megabytes * 10, 100_000
    needles = set(rng.sample(range(files), 12))
    for i in range(files):
        lines, total = [], 0
        while total < size:
            line = "    " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
            lines.append(line)
            total += len(line) + 1
        if i in needles:
            lines[len(lines) // 2] = "    NEEDLE_7f3a = compute(value)"
        folder = root / f"pkg{i % 40:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i:05d}.py").write_text("\n".join(lines) + "\n")


async def interleaved(tool, ctx, pattern: str, cmd: list[str] | None, runs: int) -> tuple[list[float], list[float]]:
    """Alternate the tool (inside one running event loop, as the agent calls it) and plain rg, so a load change
    on the machine hits both alike."""
    ours, plain = [], []
    for _ in range(runs):
        start = time.perf_counter()
        await tool.execute({"pattern": pattern, "timeout_secs": 120}, ctx)
        ours.append(time.perf_counter() - start)
        if cmd:
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
            plain.append(time.perf_counter() - start)
    return ours, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.gettempdir()) / f"codetether-bench-grep-{args.megabytes}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        build_tree(root, args.megabytes)
        (root / ".complete").write_text("")
    tool, ctx = load_tool("grep"), ToolContext(root=root)
    rg = shutil.which("rg")
    rows = []
    for label, pattern in (("rare literal (12 hits)", "NEEDLE_7f3a"), ("common word (limit 50)", "session token")):
        ours, plain = asyncio.run(interleaved(tool, ctx, pattern, [rg, "-F", pattern, str(root)] if rg else None,
                                              args.runs))
        rows.append((label, statistics.median(ours), statistics.median(plain) if plain else None))
    print(f"grep over {args.megabytes} MB ({args.megabytes * 10} files), median of {args.runs}; "
          f"engine: {'rg ' + subprocess.run([rg, '--version'], capture_output=True, text=True).stdout.split()[1] if rg else 'pure Python (rg not on PATH)'}")
    print(f"{'search':<26} {'grep tool s':>12} {'plain rg s':>11} {'ratio':>7}")
    for label, ours, plain in rows:
        ratio = f"{ours / plain:.2f}x" if plain else "n/a"
        print(f"{label:<26} {ours:>12.3f} {plain if plain else float('nan'):>11.3f} {ratio:>7}")
    print("target: <= 1.20x plain rg when rg is present")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
