"""TUI bench: time to first paint, input latency while 50 tokens/s stream in, idle RSS. Prints a table.

Runs the app headless in-process (Textual's test driver) with no provider configured, so the numbers are the
UI's own: the stream is fed as agent events at 50 tokens/s, exactly as the session's sink would post them.
Each run is a fresh process (--runs); min and median are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, runs


async def _measure() -> dict[str, float]:
    from codetether.agent import events as ev
    from codetether.config.load import load
    from codetether.tui.app import CodetetherApp
    from codetether.tui.bridge import AgentEvent
    from codetether.tui.widgets.prompt import PromptInput

    start = time.perf_counter()
    app = CodetetherApp(load(), Path.cwd())
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.screen_stack) < 2 or not app.screen_stack[1].query(PromptInput):
            await pilot.pause(0.001)
        first_paint = time.perf_counter() - start
        await pilot.pause(0.5)
        rss_idle = _rss_mb()

        async def stream() -> None:
            for i in range(200):
                app.post_message(AgentEvent(ev.TextChunk(f"token{i} ")))
                await asyncio.sleep(1 / 50)

        feeder = asyncio.create_task(stream())
        prompt = app.screen_stack[1].query_one(PromptInput)
        prompt.focus()
        await pilot.pause()
        latencies = []
        for ch in "abcdefghijklmnopqrst":
            t0 = time.perf_counter()
            await pilot.press(ch)
            while not prompt.text.endswith(ch):
                if time.perf_counter() - t0 > 5:
                    raise SystemExit(f"the key {ch!r} never reached the input (text: {prompt.text!r})")
                await asyncio.sleep(0.0005)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.1)
        await feeder
        await app.action_quit()
    return {"first_paint_ms": first_paint * 1000, "latency_p50_ms": statistics.median(latencies) * 1000,
            "latency_max_ms": max(latencies) * 1000, "rss_idle_mb": rss_idle}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_once() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CODETETHER_DATA_DIR"):
            os.environ[var] = tmp
        for var in [k for k in os.environ if k.startswith("VAULT_")]:
            del os.environ[var]
        os.environ["CODETETHER_CRASH_REPORTING"] = "false"  # no first-run consent dialog over the chat
        os.chdir(tmp)
        return asyncio.run(_measure())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=runs(3, 1), help="fresh processes; min and median shown")
    parser.add_argument("--once", action="store_true", help="measure in this process, print JSON")
    args = parser.parse_args()
    if args.once:
        print(json.dumps(measure_once()))
        return 0
    # Each run in a fresh process: RSS and first paint are only meaningful from a cold start.
    results = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--once"], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"TUI, headless, {args.runs} fresh processes")
    print(f"{'metric':<40} {'min':>10} {'median':>10}")
    rows = [("time to first paint (ms)", "first_paint_ms"), ("input latency p50 @50 tok/s (ms)", "latency_p50_ms"),
            ("input latency max @50 tok/s (ms)", "latency_max_ms"), ("idle RSS of the TUI process (MiB)", "rss_idle_mb")]
    for name, key in rows:
        vals = [r[key] for r in results]
        print(f"{name:<40} {min(vals):>10.1f} {statistics.median(vals):>10.1f}")
    emit("TUI idle RSS (MB)", [r["rss_idle_mb"] for r in results], "MB", key="tui_mb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
