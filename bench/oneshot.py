#!/usr/bin/env python3
"""One-shot `codetether run` against a local fake model: wall time, peak RSS, first-request size.

Starts an OpenBao dev server and the scripted LLM server (always answers "Done.") on 127.0.0.1, stores an
`openai` secret pointing at it, and runs `codetether run "say hi"` N times (wall time, unsampled), then 3 more
times with the process tree's summed RSS sampled from /proc. Peers' figures are those in
../shared/bench-peers/RESULTS.md (same machine kind, same fake answer), marked as such.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, emit, runs, stack, tree_peak_mb
from tests.harness.llm_server import Reply

PEERS = [  # (name, median wall s, process-tree peak RSS MB, main request bytes) from bench-peers/RESULTS.md
    ("Codex CLI", 0.22, 186, 55_274), ("Claude Code", 0.38, 202, 49_236),
    ("opencode", 2.33, 586, 30_701), ("aider", 2.93, 239, 2_833),
]
TARGET_S, TARGET_MB, TARGET_BYTES = 0.22, 60, 20_000
# (label, extra CLI args, extra env): the build agent defers rare tools' schemas behind tool_load; the last
# row switches that off, so its first request is the "every tool available" figure.
VARIANTS = [("run (chat)", [], {}), ("run --agent build", ["--agent", "build"], {}),
            ("run --agent build, all tools up front", ["--agent", "build"], {"CODETETHER_TOOLS_ON_DEMAND": "false"})]


def run_once(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, int]:
    """(wall seconds, exit code) of one run."""
    start = time.perf_counter()
    code = subprocess.call(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(10, 3))
    parser.add_argument("--rss-runs", type=int, default=runs(3, 2))
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with stack(default_reply=Reply(text="Done.")) as (vault, llm, home):
        work = Path(home) / "work"
        work.mkdir()
        (work / "hello.py").write_text('print("hello")\n')
        base_env = cli_env(vault.env(), home)
        rows = []
        for label, extra, extra_env in VARIANTS:
            env = {**base_env, **extra_env}
            cmd = [exe, "run", "--model", "openai/fake", *extra, "say hi"]
            before = len(llm.requests)
            # The last variant differs only in its request: its timings would repeat the row above.
            timed = [run_once(cmd, env, str(work)) for _ in range(1 if extra_env else args.runs)]
            sampled = [tree_peak_mb(cmd, env, str(work)) for _ in range(0 if extra_env else args.rss_runs)]
            if any(code != 0 for _, code in timed + sampled):
                print(f"{label}: a run failed; try `{' '.join(cmd)}` by hand", file=sys.stderr)
                return 1
            first = llm.requests[before]
            rows.append((label, [w for w, _ in timed], [mb for mb, _ in sampled], first.raw_bytes,
                         len(first.body.get("tools") or [])))
    print(f"One-shot run against a fake model, {args.runs} timed runs + {args.rss_runs} RSS-sampled runs, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'CLI':<50} {'min s':>6} {'median s':>9} {'tree RSS MB':>12} {'1st request B':>14} {'≈tokens':>8} "
          f"{'tools':>6}")
    for label, walls, mbs, size, tools in rows:
        timing = f"{min(walls):>6.3f} {statistics.median(walls):>9.3f}" if len(walls) > 1 else f"{'':>6} {'':>9}"
        rss = f"{statistics.median(mbs):>12.1f}" if mbs else f"{'':>12}"
        print(f"{'codetether ' + label:<50} {timing} {rss} {size:>14,} {size // 4:>8,} {tools:>6}")
    for name, med, rss_mb, size in PEERS:
        print(f"{name + ' (RESULTS.md)':<50} {'':>6} {med:>9.2f} {rss_mb:>12.0f} {size:>14,} {size // 4:>8,}")
    print(f"targets: one-shot <= {TARGET_S} s, <= {TARGET_MB} MB; first request with the full tool set "
          f"<= {TARGET_BYTES // 1000} KB")
    chat, build, full = rows
    emit("one-shot wall, run --agent build (s)", build[1], "s", TARGET_S, key="oneshot_s")
    emit("one-shot wall, run chat-only (s)", chat[1], "s", TARGET_S, key="oneshot_chat_s")
    emit("one-shot peak RSS, process tree (MB)", build[2], "MB", TARGET_MB, key="oneshot_mb")
    emit("first request bytes, build as sent (tool_load)", [build[3]], "B", TARGET_BYTES, key="req_bytes")
    emit("first request ≈tokens, build as sent", [build[3] // 4], "tok", TARGET_BYTES // 4, key="req_tokens")
    emit("first request bytes, every tool up front", [full[3]], "B", TARGET_BYTES, key="req_bytes_full")
    emit("first request ≈tokens, every tool up front", [full[3] // 4], "tok", TARGET_BYTES // 4,
         key="req_tokens_full")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
