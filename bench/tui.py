#!/usr/bin/env python3
"""TUI bench: the real `codetether tui` on a pseudo-terminal, against OpenBao and the scripted model server,
timed from the bytes it draws (a headless driver renders nothing, so it would miss the drawing itself).

- first paint: from the app being created (its modules imported) to its first frame; also from process start.
- keystroke-to-screen while a reply streams at 100 tokens/s into a session that already holds 2,000 messages:
  each key is a letter drawn nowhere else, timed from its write to the terminal until the terminal receives it.
- the same with nothing streaming, and scrolling (Alt+U / Alt+D) in a 40- and a 5,000-message session: from the
  key to the end of the frame it causes. Plus how long each session takes to show when resumed.
- idle RSS of a new session's TUI process.
Every scenario is a fresh process; --runs repeats the streaming one (its keystrokes are pooled for p50/p99/max).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.harness, for the scripted servers

from _common import cli_env, emit, runs, stack  # noqa: E402
from _pty import Pty  # noqa: E402

SIZE = (120, 40)
TOKENS_PER_S = 100
STREAM_TOKENS = 1_500  # 15 s of streaming: every key of the run lands while text arrives
HISTORY = 2_000
# Letters the transcript, the chrome and the streamed text never contain, each typed once per session: a key is
# seen on screen only when the prompt draws it. Cyrillic, Greek and Georgian while streaming, Armenian after.
KEYS = ([chr(c) for c in range(0x0430, 0x0450)] + [chr(c) for c in range(0x03B1, 0x03CA) if c != 0x03C2]
        + [chr(c) for c in range(0x10D0, 0x10F1)])
IDLE_KEYS = [chr(c) for c in range(0x0561, 0x0575)]
MARKER = "END-OF-HISTORY"
RESUME_TIMEOUT = 300.0  # seconds a resumed session may take to show its last message
TARGETS = {"p99": 50.0, "max": 100.0, "first_paint": 150.0, "rss": 60.0}


def answer_text(tokens: int) -> str:
    """A long markdown reply, about 4 characters a token: paragraphs, a list, fenced code, a table."""
    blocks = []
    i = 0
    while sum(len(b) for b in blocks) < tokens * 4:
        i += 1
        blocks.append(f"## Step {i}\n\nThe function reads the configuration, validates each key against the schema "
                      f"and returns a **typed object**; errors name the key (`item_{i}`) and the expected type.\n")
        blocks.append("\n".join(f"- point {i}.{k}: keep the `cache` warm and the lock short" for k in range(4)))
        blocks.append(f"```python\ndef handler_{i}(request):\n    value = parse(request.body)\n"
                      f"    return respond(value, status=200)\n```\n")
        blocks.append("| key | type |\n|---|---|\n| timeout | float |\n| retries | int |\n")
    return "\n\n".join(blocks)


def history_message(seq: int) -> tuple[str, list[dict]]:
    """Message `seq` of a user -> assistant (tool call) -> tool result -> assistant (markdown) cycle."""
    kind = seq % 4
    if kind == 0:
        return "user", [{"type": "text", "text": f"Please look at module_{seq % 50}.py and fix the failing test "
                                                 f"number {seq}; keep the public interface as it is."}]
    if kind == 1:
        args = json.dumps({"path": f"src/module_{seq % 50}.py", "old_string": "return None" * 6,
                           "new_string": "return value" * 6})
        return "assistant", [{"type": "text", "text": "I'll edit the module."},
                             {"type": "tool_call", "id": f"call_{seq}", "name": "edit", "arguments": args}]
    if kind == 2:
        return "tool", [{"type": "tool_result", "tool_call_id": f"call_{seq - 1}", "is_error": False,
                         "content": "Edited src/module.py\n" + "@@ -1,4 +1,4 @@\n-return None\n+return value\n" * 30}]
    text = (f"Fixed it: `module_{seq % 50}.py` now returns the value.\n\n- the test passes\n- nothing else changed\n\n"
            "```python\ndef handler(value):\n    return value\n```\n" + "More detail on the change. " * 12)
    return "assistant", [{"type": "text", "text": text}]


def seed_session(data: Path, work: Path, count: int) -> None:
    """A session of `count` messages for the project in `work`, written straight into the store (fast)."""
    from codetether.gitinfo import project_for
    from codetether.session.store import SessionStore

    store = SessionStore(data / "sessions.db")
    project = project_for(work)
    info = store.create(str(project.root), project.id, "openai/m", "build", title="bench session")
    rows = []
    for seq in range(count):
        role, parts = history_message(seq)
        if seq == count - 1:
            parts = [{"type": "text", "text": f"Last message. {MARKER}"}]
        rows.append((info.id, seq, seq // 4 + 1, role, json.dumps(parts), time.time()))
    db = store.db
    db.execute("BEGIN")
    db.executemany("INSERT INTO turns (session_id, turn, started_at, ended_at, model, agent, exit_reason) "
                   "VALUES (?, ?, ?, ?, 'openai/m', 'build', 'completed')",
                   [(info.id, t, time.time(), time.time()) for t in range(1, (count + 3) // 4 + 1)])
    db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.execute("UPDATE sessions SET message_count = ?, turn_count = ? WHERE id = ?",
               (count, (count + 3) // 4, info.id))
    db.execute("COMMIT")
    store.close()


class Session:
    """One `codetether tui` on a pty with its own home, Vault and scripted model."""

    def __init__(self, vault, llm, home: str, history: int | None):
        self.home = Path(home)
        self.work = self.home / "work"
        self.work.mkdir(exist_ok=True)
        (self.work / "app.py").write_text("print('hello')\n")
        self.env = cli_env(vault.env(), home, TERM="xterm-256color", CODETETHER_DEFAULT_MODEL="openai/m",
                           CODETETHER_CRASH_REPORTING="false", LANG="C.UTF-8")
        os.environ["CODETETHER_DATA_DIR"] = self.env["CODETETHER_DATA_DIR"]
        if history:
            seed_session(Path(self.env["CODETETHER_DATA_DIR"]), self.work, history)
        self.marks = self.home / "marks.json"
        args = ["tui", "-c"] if history else ["tui"]
        self.term = Pty([sys.executable, __file__, "--child", str(self.marks), *args], self.env, str(self.work), SIZE)

    def first_frame(self) -> dict[str, float]:
        _, painted = self.term.wait_for(b"Tokens:", timeout=60)
        marks = json.loads(self.marks.read_text())
        return {"first_paint_ms": (painted - marks["app"]) * 1000,
                "process_to_paint_ms": (painted - self.term.started) * 1000}

    def keystrokes(self, keys: list[str], rng: random.Random, until: float | None = None) -> list[float]:
        """ms from each key's write to its arrival on screen; keys typed 30-120 ms apart (stops at `until`)."""
        sent = []
        for key in keys:
            if until is not None and time.monotonic() > until:
                break
            sent.append((key, *self.term.write(key.encode())))
            time.sleep(rng.uniform(0.03, 0.12))
        latencies = []
        for key, offset, at in sent:
            end, seen = self.term.wait_for(key.encode(), offset, timeout=30)
            latencies.append((seen - at) * 1000)
        return latencies

    def scroll_frames(self, count: int) -> list[float]:
        """ms from Alt+U / Alt+D to the last byte of the frame it draws (30 ms of silence ends a frame)."""
        frames = []
        for i in range(count):
            self.term.quiet_after(0, 0.1, timeout=10)
            offset, at = self.term.write(b"\x1bu" if i % 4 < 2 else b"\x1bd")
            try:
                frames.append((self.term.quiet_after(offset, 0.03) - at) * 1000)
            except TimeoutError:
                continue
        return frames

    def close(self) -> None:
        self.term.close()


def run_streaming(index: int, history: int = HISTORY) -> dict[str, object]:
    """Keys typed while 1,500 tokens stream in at 100 tokens/s, into a resumed `history`-message session."""
    from tests.harness.llm_server import Reply

    rng = random.Random(index)
    with stack() as (vault, llm, home):
        llm.router = lambda body: None if body.get("stream") else Reply(text="Summary of the earlier work.")
        text = answer_text(STREAM_TOKENS)
        llm.script(Reply(text=text, pieces=STREAM_TOKENS, pace=1 / TOKENS_PER_S))
        started = time.monotonic()
        session = Session(vault, llm, home, history)
        try:
            paint = session.first_frame()
            _, shown = session.term.wait_for(MARKER.encode(), timeout=RESUME_TIMEOUT)
            resume_ms = (shown - started) * 1000
            session.term.write(b"go")
            time.sleep(0.3)
            session.term.write(b"\r")
            streaming = _wait_requests(llm, lambda r: (r.body or {}).get("stream"))[0]
            stream_end = streaming.received + STREAM_TOKENS / TOKENS_PER_S
            time.sleep(0.5)  # the first tokens are on screen
            cpu, wall = session.term.cpu_seconds(), time.monotonic()
            during = session.keystrokes(KEYS, rng, until=time.monotonic() + (stream_end - time.perf_counter()) - 1)
            cpu_share = (session.term.cpu_seconds() - cpu) / (time.monotonic() - wall)
            window = (wall, time.monotonic())
            _wait_answered(llm)
            time.sleep(1.0)
            idle = session.keystrokes(IDLE_KEYS, rng)
            rss = session.term.rss_mb()
        finally:
            session.close()
    return {"during": during, "idle": idle, "resume_ms": resume_ms, "rss_mb": rss, "cpu": cpu_share, "window": window, **paint}


def run_scroll(history: int | None) -> dict[str, object]:
    """Resume time, scroll frames and idle keystrokes in a session of `history` messages (None: a new one)."""
    rng = random.Random(history or 0)
    with stack() as (vault, llm, home):
        started = time.monotonic()
        session = Session(vault, llm, home, history)
        try:
            paint = session.first_frame()
            resume_ms = None
            if history:
                _, shown = session.term.wait_for(MARKER.encode(), timeout=RESUME_TIMEOUT)
                resume_ms = (shown - started) * 1000
            time.sleep(1.0)
            rss = session.term.rss_mb()
            frames = session.scroll_frames(16) if history else []
            idle = session.keystrokes(IDLE_KEYS, rng)
        finally:
            session.close()
    return {"resume_ms": resume_ms, "frames": frames, "idle": idle, "rss_mb": rss, **paint}


def _wait_requests(llm, predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [r for r in llm.requests if predicate(r)]
        if found:
            return found
        time.sleep(0.01)
    raise TimeoutError("the TUI never sent its streaming request")


def _wait_answered(llm, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(r.answered for r in llm.requests if r.method == "POST"):
            return
        time.sleep(0.05)


def child(marks: str, argv: list[str]) -> int:
    """The TUI process: the same path as `codetether tui`, with the moment its app is created written down."""
    started = time.monotonic()
    from codetether.tui import app as tui_app

    created = tui_app.CodetetherApp.__init__

    def init(self, *args, **kwargs):
        Path(marks).write_text(json.dumps({"process": started, "app": time.monotonic()}))
        created(self, *args, **kwargs)

    tui_app.CodetetherApp.__init__ = init
    if os.environ.get("BENCH_LOOP_LOG"):  # investigation: every loop step over 20 ms, with its stack
        import asyncio
        import atexit

        from tests.tui.loopwatch import LoopWatch

        watch = LoopWatch(20)
        original_run = asyncio.events.Handle._run
        entered = [False]

        def first_step(handle):  # the watch must start on the loop's own thread
            if not entered[0]:
                entered[0] = True
                asyncio.events.Handle._run = original_run
                watch.__enter__()
            return original_run(handle)

        asyncio.events.Handle._run = first_step
        atexit.register(lambda: Path(os.environ["BENCH_LOOP_LOG"]).write_text(json.dumps(
            [[s.blocked_ms, s.wall_ms, s.callback, s.stack, s.at] for s in watch.stalls])))
    from codetether.cli import main

    return main(argv)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(3, 1), help="streaming runs (fresh processes)")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--history", type=int, default=HISTORY, help="messages in the streaming runs' session")
    parser.add_argument("--big", type=int, default=5_000, help="messages in the long session scrolled")
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], args.child[1:])
    streams = [run_streaming(i, args.history) for i in range(args.runs)]
    fresh = run_scroll(None)
    small = run_scroll(40)
    big = run_scroll(args.big)
    during = [x for r in streams for x in r["during"]]
    idle = [x for r in streams for x in r["idle"]]
    paints = [r["first_paint_ms"] for r in streams] + [fresh["first_paint_ms"]]
    rows = [
        (f"keystroke -> screen while streaming {TOKENS_PER_S} tok/s into {args.history:,} messages, p50 (ms)",
         statistics.median(during), None),
        ("  same, p99 (ms)", pct(during, 0.99), TARGETS["p99"]),
        ("  same, max (ms)", max(during), TARGETS["max"]),
        (f"  keys measured (over {args.runs} runs)", len(during), None),
        ("  TUI process CPU while streaming (% of one core)", 100 * statistics.median(r["cpu"] for r in streams),
         None),
        ("keystroke -> screen after the stream, p50 / max (ms)", f"{statistics.median(idle):.1f} / {max(idle):.1f}",
         None),
        ("first paint: app created -> first frame (ms), median", statistics.median(paints), TARGETS["first_paint"]),
        ("  process start -> first frame (ms), new session", fresh["process_to_paint_ms"], None),
        ("idle RSS, new session (MB)", fresh["rss_mb"], TARGETS["rss"]),
        (f"idle RSS, {args.history:,}-message session after streaming (MB)", statistics.median(r["rss_mb"] for r in streams),
         None),
        (f"resume a {args.history:,}-message session: start -> last message shown (ms)",
         statistics.median(r["resume_ms"] for r in streams), None),
        (f"resume a 40 / {args.big:,}-message session (ms)", f"{small['resume_ms']:.0f} / {big['resume_ms']:.0f}", None),
        (f"scroll frame, 40 / {args.big:,} messages, median (ms)",
         f"{_med(small['frames']):.1f} / {_med(big['frames']):.1f}", None),
        (f"scroll frame, 40 / {args.big:,} messages, max (ms)", f"{_max(small['frames']):.1f} / {_max(big['frames']):.1f}",
         None),
        (f"keystroke, 40 / {args.big:,} messages, idle, max (ms)", f"{max(small['idle']):.1f} / {max(big['idle']):.1f}", None),
    ]
    print(f"TUI on a {SIZE[0]}x{SIZE[1]} pseudo-terminal; {args.runs} streaming run(s) + 3 sessions, fresh processes")
    print("| measure | value | target | met |\n|---|---:|---:|---|")
    for name, value, target in rows:
        shown = f"{value:,.1f}" if isinstance(value, float) else str(value)
        met = "—" if target is None else ("yes" if float(value) <= target else "**no**")
        print(f"| {name} | {shown} | {'—' if target is None else f'{target:.0f}'} | {met} |")
    if args.json:
        print(json.dumps({"streams": streams, "fresh": fresh, "small": small, "big": big}))
    emit("TUI keystroke p99 while streaming (ms)", [pct(r["during"], 0.99) for r in streams], "ms",
         TARGETS["p99"], key="tui_key_p99_ms")
    emit("TUI keystroke max while streaming (ms)", [max(r["during"]) for r in streams], "ms", TARGETS["max"],
         key="tui_key_max_ms")
    emit("TUI first paint (ms)", paints, "ms", TARGETS["first_paint"], key="tui_paint_ms")
    emit("TUI idle RSS (MB)", [fresh["rss_mb"]], "MB", TARGETS["rss"], key="tui_mb")
    return 0


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _max(values: list[float]) -> float:
    return max(values) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
