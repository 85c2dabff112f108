#!/usr/bin/env python3
"""`codetether swarm` at 1, 10, 50 and 100 concurrent sub-agents against the scripted LLM server (medians of N runs).

Each sub-agent makes 5 `read` tool calls, then answers. The swarm runs in shared-directory mode (--no-worktree,
so git checkouts do not dominate) with [swarm] max_concurrent_requests = 100 and no request spacing; a last row
runs 10 sub-agents with git worktrees. Reported per run: peak RSS of the CLI's whole process tree (sampled from
/proc every 10 ms), sub-agent spawn overhead, time with a model request in flight vs the rest (orchestration and
tools), and a sub-agent's first request size (tokens ≈ bytes / 4).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, emit, reader_workspace, runs, stack, tree_rss_kb
from tests.harness.llm_server import Reply, ToolCall

STEPS = 5
TARGET_MB, TARGET_SPAWN_MS = 150, 2.0


def _user_text(body: dict) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []) if m.get("role") == "user")


def route(body: dict) -> Reply:
    text = _user_text(body)
    if "You are a task orchestrator" in text:
        n = int(text.split("BENCH-N=")[1].split()[0])
        subtasks = [{"id": f"r{i}", "name": f"Reader {i}", "instruction": f"BENCH-AGENT read the files ({i})"}
                    for i in range(n)]
        return Reply(json.dumps({"subtasks": subtasks}))
    done = sum(1 for m in body.get("messages", []) if m.get("role") == "tool")
    if done < STEPS:
        return Reply(tool_calls=[ToolCall("read", {"path": f"src/file{done}.py"})])
    return Reply("read all five files")


def run(n: int, worktrees: bool, env: dict[str, str], work: Path, exe: str) -> dict:
    cmd = [exe, "swarm", "--model", "openai/fake", "--json", *([] if worktrees else ["--no-worktree"]),
           f"bench task BENCH-N={n} end"]
    started = time.perf_counter()
    # Files, not pipes: nobody reads a pipe while the RSS is sampled, and a full one (100 sub-agents' progress
    # lines on stderr) would stop the swarm mid-write.
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=out_file, stderr=err_file, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.01)
        wall = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if proc.returncode != 0:
        raise SystemExit(f"swarm with {n} sub-agents failed (exit {proc.returncode}):\n{err[-2000:]}")
    data = json.loads(out)
    assert len(data["subtask_results"]) == n and all(r["tool_calls"] == STEPS for r in data["subtask_results"])
    return {"wall": wall, "peak_mb": peak / 1024, "stats": data["stats"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10,50,100")
    parser.add_argument("--runs", type=int, default=runs(3, 1), help="runs of each size; the table shows medians")
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with stack() as (vault, llm, home):
        llm.router = route
        work = reader_workspace(home, STEPS)
        git = ["git", "-c", "user.name=b", "-c", "user.email=b@b.invalid"]
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
            subprocess.run([*git, *step], cwd=work, check=True)
        config = Path(home) / ".config" / "codetether-agent"
        config.mkdir(parents=True)
        (config / "config.toml").write_text("[swarm]\nmax_concurrent_requests = 100\nrequest_delay_ms = 0\n"
                                           "cache_enabled = false\n")  # every run pays its sub-agents
        env = cli_env(vault.env(), home, TMPDIR=home)
        plan = [(int(s), False) for s in args.sizes.split(",")] + [(10, True)]
        rows = []
        samples: dict[str, list[tuple]] = {}
        for n, wt in plan:
            for _ in range(args.runs):
                before = len(llm.requests)
                r = run(n, wt, env, work, exe)
                first = next(q for q in llm.requests[before:] if "BENCH-AGENT" in _user_text(q.body))
                s = r["stats"]
                busy = s["rate_limit_stats"]["llm_busy_ms"] / 1000
                overhead = max(s["execution_time_ms"] / 1000 - busy, 0.0)
                samples.setdefault(f"{n}{' (worktrees)' if wt else ''}", []).append(
                    (r["wall"], r["peak_mb"], s["spawn_ms_per_agent"], busy, overhead,
                     overhead / max(s["execution_time_ms"] / 1000, 1e-9), len(llm.requests) - before,
                     first.raw_bytes, first.raw_bytes // 4))
        rows = [(name, *(statistics.median(col) for col in zip(*runs_))) for name, runs_ in samples.items()]
    head = ("sub-agents", "wall s", "peak RSS MB (tree)", "spawn ms/agent", "LLM busy s", "other s", "other %",
            "requests", "1st req bytes", "≈tokens")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for name, wall, mb, spawn, busy, other, share, reqs, size, tokens in rows:
        print(f"{name} | {wall:.2f} | {mb:.0f} | {spawn:.3f} | {busy:.2f} | {other:.2f} | {share:.0%} | {reqs:.0f} | "
              f"{size:.0f} | {tokens:.0f}")
    hundred = next((r for r in rows if r[0] == "100"), None)
    if "100" in samples:
        emit("swarm, 100 sub-agents: peak RSS, tree (MB)", [x[1] for x in samples["100"]], "MB", TARGET_MB,
             key="swarm_mb")
        emit("swarm, 100 sub-agents: spawn (ms/agent)", [x[2] for x in samples["100"]], "ms", TARGET_SPAWN_MS,
             key="swarm_spawn_ms")
    print(f"\ntargets: 100 sub-agents < {TARGET_MB} MB peak RSS, spawn < {TARGET_SPAWN_MS} ms/agent "
          "(Rust original: 330 MB; opencode: 2,400 MB)")
    if hundred:
        ok_mem, ok_spawn = hundred[2] < TARGET_MB, hundred[3] < TARGET_SPAWN_MS
        print(f"100 sub-agents: {hundred[2]:.0f} MB ({'met' if ok_mem else 'MISSED'}), "
              f"spawn {hundred[3]:.3f} ms ({'met' if ok_spawn else 'MISSED'})")
        return 0 if ok_mem and ok_spawn else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
