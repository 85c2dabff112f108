#!/usr/bin/env python3
"""One-shot `codetether run` against a local fake model: wall time, peak RSS, first-request size.

Starts an OpenBao dev server and the scripted LLM server (always answers "Done.") on 127.0.0.1, stores an
`openai` secret pointing at it, and runs `codetether run "say hi"` N times. Peers' figures are those in
../shared/bench-peers/RESULTS.md (same machine kind, same fake answer), marked as such.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.harness.llm_server import LLMServer, Reply
from tests.harness.vault import VaultDevServer

PEERS = [  # (name, median wall s, process-tree peak RSS MB, main request bytes) from bench-peers/RESULTS.md
    ("Codex CLI", 0.22, 186, 55_274), ("Claude Code", 0.38, 202, 49_236),
    ("opencode", 2.33, 586, 30_701), ("aider", 2.93, 239, 2_833),
]


def run_once(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one run, RSS from the child's own rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with VaultDevServer() as vault, LLMServer(default_reply=Reply(text="Done.")) as llm, \
            tempfile.TemporaryDirectory() as home:
        vault.put_provider("openai", api_key="sk-bench-0000000000", base_url=llm.base_url_openai)
        work = Path(home) / "work"
        work.mkdir()
        (work / "hello.py").write_text('print("hello")\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CODETETHER_"))}
        env.update(vault.env(), HOME=home, XDG_CONFIG_HOME=f"{home}/.config", CODETETHER_DATA_DIR=f"{home}/data")
        rows = []
        for label, extra in (("run (chat)", []), ("run --agent build", ["--agent", "build"])):
            cmd = [exe, "run", "--model", "openai/fake", *extra, "say hi"]
            before = len(llm.requests)
            samples = [run_once(cmd, env, str(work)) for _ in range(args.runs)]
            if any(code != 0 for _, _, code in samples):
                print(f"{label}: a run failed; try `{' '.join(cmd)}` by hand", file=sys.stderr)
                return 1
            walls = [w for w, _, _ in samples]
            first = llm.requests[before]
            rows.append((label, min(walls), statistics.median(walls), max(r for _, r, _ in samples), first.raw_bytes))
    print(f"One-shot run against a fake model, {args.runs} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'CLI':<34} {'min s':>6} {'median s':>9} {'peak RSS MB':>12} {'1st request B':>14}")
    for label, low, med, rss, size in rows:
        print(f"{'codetether ' + label:<34} {low:>6.3f} {med:>9.3f} {rss:>12.1f} {size:>14,}")
    for name, med, rss, size in PEERS:
        print(f"{name + ' (RESULTS.md)':<34} {'':>6} {med:>9.2f} {rss:>12.0f} {size:>14,}")
    print("targets: one-shot <= 0.22 s, <= 60 MB; first request with the full tool set <= 20 KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
