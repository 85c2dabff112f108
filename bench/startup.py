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

from _common import emit, runs


def timed(cmd: list[str], runs: int) -> list[float]:
    """Wall time in ms of each of `runs` runs, after two warm-up runs."""
    samples = []
    for i in range(runs + 2):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i >= 2:
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(20, 5))
    args = parser.parse_args()
    venv_bin = Path(sys.executable).parent
    exe = shutil.which("codetether", path=str(venv_bin)) or shutil.which("codetether")
    if not exe:
        print("codetether is not installed; run `make install` first", file=sys.stderr)
        return 1
    rows = [("python3 -c pass (baseline)", [sys.executable, "-c", "pass"]),
            ("codetether --version", [exe, "--version"]),
            ("codetether --help", [exe, "--help"])]
    samples = [timed(cmd, args.runs) for _, cmd in rows]
    results = [(name, min(s), statistics.median(s)) for (name, _), s in zip(rows, samples)]
    base = results[0][2]
    print(f"Start-up, {args.runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'command':<30} {'min ms':>8} {'median ms':>10} {'vs python':>10}")
    for name, low, med in results:
        print(f"{name:<30} {low:>8.1f} {med:>10.1f} {med / base:>9.2f}x")
    print("target: --version and --help <= 2.00x a bare Python start")
    emit("bare python -c pass (ms)", samples[0], "ms", key="python_ms")
    # The target scales with this machine's own bare start, so a noisy run moves both alike.
    for key, label, s in (("version_ms", "codetether --version (ms)", samples[1]),
                          ("help_ms", "codetether --help (ms)", samples[2])):
        emit(label, s, "ms", target=round(2 * base, 1), key=key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
