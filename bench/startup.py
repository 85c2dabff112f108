#!/usr/bin/env python3
"""Start-up cost of `codetether --version` and `--help` beside a bare Python start (median of N runs)."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """(min, median) wall time in ms over `runs` runs, after two warm-up runs."""
    samples = []
    for i in range(runs + 2):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i >= 2:
            samples.append((time.perf_counter() - start) * 1000)
    return min(samples), statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    venv_bin = Path(sys.executable).parent
    exe = shutil.which("codetether", path=str(venv_bin)) or shutil.which("codetether")
    if not exe:
        print("codetether is not installed; run `make install` first", file=sys.stderr)
        return 1
    rows = [("python3 -c pass (baseline)", [sys.executable, "-c", "pass"]),
            ("codetether --version", [exe, "--version"]),
            ("codetether --help", [exe, "--help"])]
    results = [(name, *timed(cmd, args.runs)) for name, cmd in rows]
    base = results[0][2]
    print(f"Start-up, {args.runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'command':<30} {'min ms':>8} {'median ms':>10} {'vs python':>10}")
    for name, low, med in results:
        print(f"{name:<30} {low:>8.1f} {med:>10.1f} {med / base:>9.2f}x")
    print("target: --version and --help <= 2.00x a bare Python start")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
