#!/usr/bin/env python3
"""Session store at scale: `codetether sessions list` and loading a 10,000-message session for --continue.

Builds a store of 1,000 sessions / 100,000 messages by direct SQL inserts into a temporary CODETETHER_DATA_DIR
(message sizes like a coding session's: short prompts, tool calls, multi-KB tool results), then times each
operation (median of N runs) against its target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from codetether.session.store import SessionStore

SESSIONS, MESSAGES, BIG = 1_000, 100_000, 10_000
TARGET_S = 0.5
LOREM = ("The function reads the configuration, validates each key against the schema and returns a typed "
         "object; errors name the key and the expected type so the user can fix the file. ") * 40


def _text(size: int, salt: int) -> str:
    start = salt % 200
    return LOREM[start:start + size]


def _parts(seq: int) -> tuple[str, list[dict]]:
    """One message of a user -> assistant(tool call) -> tool result -> assistant cycle, realistic sizes."""
    kind = seq % 4
    if kind == 0:
        return "user", [{"type": "text", "text": _text(300, seq)}]
    if kind == 1:
        args = json.dumps({"path": f"src/module_{seq % 50}.py", "old_string": _text(120, seq),
                           "new_string": _text(140, seq + 1)})
        return "assistant", [{"type": "text", "text": _text(200, seq)},
                             {"type": "tool_call", "id": f"call_{seq}", "name": "edit", "arguments": args}]
    if kind == 2:
        return "tool", [{"type": "tool_result", "tool_call_id": f"call_{seq - 1}", "content": _text(2_500, seq),
                         "is_error": False}]
    return "assistant", [{"type": "text", "text": _text(800, seq)}]


def build(db_path: Path, project_id: str) -> str:
    """Fill the store; returns the id of the 10,000-message session (in the benchmark's own project)."""
    store = SessionStore(db_path)
    db = store.db
    counts = [BIG] + [(MESSAGES - BIG) // (SESSIONS - 1)] * (SESSIONS - 1)
    counts[-1] += MESSAGES - sum(counts)
    now = time.time() - SESSIONS * 60
    big_id = ""
    db.execute("BEGIN")
    for index, count in enumerate(counts):
        sid = str(uuid.uuid4())
        big_id = big_id or sid
        project = project_id if index % 10 == 0 else f"path:/bench/project-{index % 10}"
        turns = (count + 3) // 4
        db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (sid, _text(60, index), "/bench", project, "openai/gpt-4o", "build", now + index * 60,
                    now + index * 60 + 30, count, turns, 1_500 * count, 120 * count, 0.002 * count))
        db.executemany("INSERT INTO turns (session_id, turn, started_at, ended_at, model, agent, prompt_tokens, "
                       "completion_tokens, cost_usd, exit_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(sid, t, now, now + 5, "openai/gpt-4o", "build", 6_000, 480, 0.008, "completed")
                        for t in range(1, turns + 1)])
        rows = []
        for seq in range(count):
            role, parts = _parts(seq)
            rows.append((sid, seq, seq // 4 + 1, role, json.dumps(parts), now + index * 60 + seq * 0.001))
        db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    store.close()
    return big_id


def median_time(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "codetether")
    with tempfile.TemporaryDirectory() as home:
        work = Path(home) / "work"
        work.mkdir()
        data = Path(home) / "data"
        db_path = data / "sessions.db"
        started = time.perf_counter()
        big_id = build(db_path, f"path:{work.resolve()}")
        built = time.perf_counter() - started
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "CODETETHER_"))}
        env.update(HOME=home, XDG_CONFIG_HOME=f"{home}/.config", CODETETHER_DATA_DIR=str(data))

        def cli(*argv: str) -> None:
            out = subprocess.run([exe, "sessions", *argv], cwd=work, env=env, capture_output=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"`codetether sessions {' '.join(argv)}` failed: {out.stderr.decode()}")

        def load() -> None:
            store = SessionStore(db_path)
            assert len(store.messages(big_id, skip_undone=True)) == BIG
            store.close()

        rows = [("codetether sessions list (this project)", median_time(lambda: cli("list"), args.runs)),
                ("codetether sessions list --all", median_time(lambda: cli("list", "--all"), args.runs)),
                (f"load a {BIG:,}-message session (--continue)", median_time(load, args.runs))]
        size_mb = sum(p.stat().st_size for p in data.iterdir()) / 1e6
    print(f"Session store: {SESSIONS:,} sessions, {MESSAGES:,} messages, {size_mb:.0f} MB on disk "
          f"(built in {built:.1f} s); median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'operation':<44} {'median s':>9} {'target s':>9} {'ratio':>7}")
    for label, seconds in rows:
        print(f"{label:<44} {seconds:>9.3f} {TARGET_S:>9.3f} {seconds / TARGET_S:>6.2f}x")
    missed = [label for label, seconds in rows if seconds >= TARGET_S]
    print("all targets met" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
