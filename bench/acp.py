#!/usr/bin/env python3
"""`codetether acp`: time from `initialize` to the first streamed chunk of a scripted reply, beside `run`'s one-shot.

Starts OpenBao and the scripted LLM server (which streams "Done." in pieces) on 127.0.0.1. Each ACP run spawns
`codetether acp` the way an editor does and at once writes `initialize`, then `session/new` and `session/prompt`
as soon as each answer arrives; it times the initialize answer, the session, and the first
`agent_message_chunk` (the user's first sight of the reply), reading raw JSON lines (no client library in the
measured path). Beside it, `codetether run --agent build "say hi"` (the same agent and model): time to its first
byte of streamed reply on stdout, and to exit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, emit, runs, stack
from tests.harness.llm_server import Reply

REPLY = "Done. The answer streams in several pieces, as a model's would."


def acp_once(exe: str, env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Seconds from the spawn (initialize is written at once) to each milestone of one ACP session."""
    start = time.perf_counter()
    proc = subprocess.Popen([exe, "acp"], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin and proc.stdout

    def send(message: dict) -> None:
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        proc.stdin.flush()

    def until(predicate) -> dict:
        while line := proc.stdout.readline():
            message = json.loads(line)
            if predicate(message):
                return message
        raise SystemExit(f"`codetether acp` ended early (exit {proc.wait()})")

    marks: dict[str, float] = {}
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}})
    until(lambda m: m.get("id") == 1)
    marks["initialize"] = time.perf_counter() - start
    send({"jsonrpc": "2.0", "id": 2, "method": "session/new", "params": {"cwd": str(cwd), "mcpServers": []}})
    sid = until(lambda m: m.get("id") == 2)["result"]["sessionId"]
    marks["session"] = time.perf_counter() - start
    prompt_sent = time.perf_counter()
    send({"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
          "params": {"sessionId": sid, "prompt": [{"type": "text", "text": "say hi"}]}})
    until(lambda m: m.get("method") == "session/update"
          and m["params"]["update"]["sessionUpdate"] == "agent_message_chunk")
    marks["first_chunk"] = time.perf_counter() - start
    marks["prompt_to_chunk"] = time.perf_counter() - prompt_sent
    until(lambda m: m.get("id") == 3)
    marks["turn_done"] = time.perf_counter() - start
    proc.stdin.close()
    proc.wait(30)
    return marks


def run_once(exe: str, env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Seconds from the spawn of `run --agent build` to its first byte of reply on stdout, and to its exit."""
    start = time.perf_counter()
    proc = subprocess.Popen([exe, "run", "--agent", "build", "say hi"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout
    first = proc.stdout.read(1)
    marks = {"first_chunk": time.perf_counter() - start}
    proc.stdout.read()
    if proc.wait() != 0 or not first:
        raise SystemExit("`codetether run` failed; try it by hand")
    marks["turn_done"] = time.perf_counter() - start
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(10, 3))
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with stack(default_reply=Reply(text=REPLY)) as (vault, _llm, home):
        work = Path(home) / "work"
        work.mkdir()
        (work / "hello.py").write_text('print("hello")\n')
        env = cli_env(vault.env(), home, CODETETHER_DEFAULT_MODEL="openai/fake")
        acp_runs, run_runs = [], []
        for _ in range(args.runs):  # alternated, so machine load falls on both alike
            acp_runs.append(acp_once(exe, env, work))
            run_runs.append(run_once(exe, env, work))

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    def low(rows: list[dict[str, float]], key: str) -> float:
        return min(r[key] for r in rows)

    print(f"`codetether acp` vs `run --agent build` against a streaming scripted model, {args.runs} runs each, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]} (seconds from the process spawn)")
    print(f"{'milestone':<58} {'min s':>7} {'median s':>9}")
    rows = [("acp: initialize answered (start-up + protocol stack)", acp_runs, "initialize"),
            ("acp: session/new answered (Vault, model, tools)", acp_runs, "session"),
            ("acp: first agent_message_chunk (initialize -> first chunk)", acp_runs, "first_chunk"),
            ("acp:   of which session/prompt -> first chunk", acp_runs, "prompt_to_chunk"),
            ("acp: turn answered (stopReason)", acp_runs, "turn_done"),
            ("run --agent build: first byte of the reply on stdout", run_runs, "first_chunk"),
            ("run --agent build: exit (one-shot wall)", run_runs, "turn_done")]
    for label, data, key in rows:
        print(f"{label:<58} {low(data, key):>7.3f} {med(data, key):>9.3f}")
    ratio = med(acp_runs, "first_chunk") / med(run_runs, "first_chunk")
    print(f"first chunk, acp / run one-shot: {ratio:.2f}x (the editor pays start-up once per session; each later "
          f"prompt costs only the 'session/prompt -> first chunk' row)")
    emit("acp: initialize -> first streamed chunk (s)", [r["first_chunk"] for r in acp_runs], "s",
         key="acp_first_chunk_s")
    emit("acp: session/prompt -> first chunk (s)", [r["prompt_to_chunk"] for r in acp_runs], "s",
         key="acp_prompt_chunk_s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
