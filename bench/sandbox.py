#!/usr/bin/env python3
"""What the sandbox adds to a `bash` call: the bash tool running `true`, sandboxed in each mode vs not at all.

Each mode is measured in its own process (the backend is probed once per process), alternating the modes
round by round so a noisy stretch of the machine hits them alike; median of N calls per mode."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import emit, runs

ROOT = Path(__file__).resolve().parents[1]
MODES = {"unsandboxed": {"CODETETHER_BWRAP": "/nonexistent", "CODETETHER_ACCESS_MODE": "full"},
         "workspace-write": {"CODETETHER_ACCESS_MODE": "approve"},
         "read-only": {"CODETETHER_ACCESS_MODE": "ask"},
         "full (lifetime only)": {"CODETETHER_ACCESS_MODE": "full"}}
AGENT = {"read-only": "plan"}

CHILD = """
import asyncio, json, sys, time
from codetether.config.load import load
from codetether.sandbox import sandbox_for
from codetether.tool import bash
from codetether.tool.base import ToolContext

async def main(n, root, agent):
    ctx = ToolContext(root=root, config=load(), sandbox=sandbox_for(load(), __import__("pathlib").Path(root), agent))
    await bash.run({"command": "true"}, ctx)  # the probe and the first private /tmp are not per-call costs
    times = []
    for _ in range(n):
        started = time.perf_counter()
        result = await bash.run({"command": "true"}, ctx)
        times.append((time.perf_counter() - started) * 1000)
        assert result.success, result.output
    print(json.dumps(times))

asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
"""


def measure(mode: str, n: int, root: str) -> list[float]:
    env = {**os.environ, **MODES[mode], "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), root, AGENT.get(mode, "build")], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    n, rounds = runs(50, 20), 3
    samples: dict[str, list[float]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as root:
        for _ in range(rounds):
            for mode in MODES:
                samples[mode] += measure(mode, n // rounds + 1, root)
    base = statistics.median(samples["unsandboxed"])
    print(f"bash tool running `true`: median of {len(samples['unsandboxed'])} calls per mode\n")
    print("| mode | median ms | added ms | ratio |")
    print("|---|---:|---:|---:|")
    for mode, times in samples.items():
        med = statistics.median(times)
        print(f"| {mode} | {med:.2f} | {med - base:+.2f} | {med / base:.2f}x |")
    added = [t - base for t in samples["workspace-write"]]
    emit("sandbox: added ms per bash call (workspace-write)", added, "ms", target=10.0, key="sandbox_ms")


if __name__ == "__main__":
    main()
