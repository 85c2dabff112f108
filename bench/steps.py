#!/usr/bin/env python3
"""A 5-step tool turn: the agent loop's own overhead per step, beyond the model's time.

`codetether run --agent build` against the scripted LLM server, which answers 5 times with one `read` call of a
small file and then with text. Per step k the loop's overhead is the time from the server finishing reply k to
receiving request k+1 (tool execution + session write + building and sending the next request), taken from the
server's own perf_counter stamps. Also: start -> first request and last reply -> exit, and the whole-run wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, emit, reader_workspace, runs, stack
from tests.harness.llm_server import LLMServer, Reply, ToolCall

STEPS = 5


def route(body: dict) -> Reply:
    done = sum(1 for m in body.get("messages", []) if m.get("role") == "tool")
    if done < STEPS:
        return Reply(tool_calls=[ToolCall("read", {"path": f"src/file{done}.py"})])
    return Reply("read all five files")


class Run(NamedTuple):
    wall: float  # s
    gaps: list[float]  # ms, one per step
    to_first: float  # s
    after_last: float  # s


def one_run(llm: LLMServer, cmd: list[str], env: dict[str, str], cwd: Path) -> Run:
    before = len(llm.requests)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    end = time.perf_counter()
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    reqs = [r for r in llm.requests[before:] if r.path.split("?")[0].endswith("/chat/completions")]
    if len(reqs) != STEPS + 1 or any(r.answered is None for r in reqs):
        raise SystemExit(f"expected {STEPS + 1} answered model requests, got {len(reqs)}")
    answered = [r.answered or 0.0 for r in reqs]
    gaps = [(b.received - a) * 1000 for a, b in zip(answered, reqs[1:])]
    return Run(end - start, gaps, reqs[0].received - start, end - answered[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(5, 2))
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with stack() as (vault, llm, home):
        llm.router = route
        work = reader_workspace(home, STEPS)
        env = cli_env(vault.env(), home)
        cmd = [exe, "run", "--agent", "build", "--model", "openai/fake", "read the five files in src/"]
        results = [one_run(llm, cmd, env, work) for _ in range(args.runs)]
    per_step = [[r.gaps[k] for r in results] for k in range(STEPS)]
    run_means = [statistics.mean(r.gaps) for r in results]
    print(f"5-step tool turn (`read` x5, then text), {args.runs} runs, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")
    print(f"{'measure':<44} {'min':>9} {'median':>9}")
    for k, samples in enumerate(per_step, 1):
        print(f"{f'step {k}: reply {k} sent -> request {k + 1} in (ms)':<44} {min(samples):>9.1f} "
              f"{statistics.median(samples):>9.1f}")
    print(f"{'mean loop overhead per step (ms)':<44} {min(run_means):>9.1f} {statistics.median(run_means):>9.1f}")
    for label, key in (("start -> first request (s)", "to_first"), ("last reply -> exit (s)", "after_last"),
                       ("whole run, wall (s)", "wall")):
        vals = [getattr(r, key) for r in results]
        print(f"{label:<44} {min(vals):>9.3f} {statistics.median(vals):>9.3f}")
    emit("5-step turn: loop overhead per step (ms)", run_means, "ms", key="step_ms")
    emit("5-step turn: whole run wall (s)", [r.wall for r in results], "s", key="steps_wall_s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
