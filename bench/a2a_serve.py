#!/usr/bin/env python3
"""A2A overhead of `codetether serve`: send -> first status update, and 50 concurrent tasks (p50/p99, RSS).

Starts OpenBao and the scripted LLM server (answers "Done." at once) on 127.0.0.1, then `codetether serve` on a
free port, and drives it with the official a2a-sdk client over streaming JSON-RPC. Every task is a real agent
turn (session, Vault lookup, model call); only the model is instant.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from a2a.client import ClientConfig, create_client
from a2a.types import Message, Part, Role, SendMessageRequest, TaskState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import cli_env, stack
from tests.harness.llm_server import Reply


def _request(text: str) -> SendMessageRequest:
    return SendMessageRequest(message=Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)]))


async def one_task(client, text: str) -> tuple[float, float, bool]:
    """(seconds to the first status update, seconds to the end, completed?) for one streamed task."""
    start = time.perf_counter()
    first = None
    state = None
    async for event in client.send_message(_request(text)):
        if event.HasField("status_update"):
            first = first or time.perf_counter() - start
            state = event.status_update.status.state
    return first or float("nan"), time.perf_counter() - start, state == TaskState.TASK_STATE_COMPLETED


async def drive(url: str, rounds: int, concurrent: int) -> dict[str, list]:
    limits = httpx.Limits(max_connections=concurrent + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        client = await create_client(url, ClientConfig(streaming=True, httpx_client=http))
        await one_task(client, "warm up")
        serial = [await one_task(client, f"hi {i}") for i in range(rounds)]
        started = time.perf_counter()
        burst = await asyncio.gather(*(one_task(client, f"task {i}") for i in range(concurrent)))
        return {"serial": serial, "burst": burst, "burst_wall": [time.perf_counter() - started]}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # peak resident set size
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="sequential tasks for the round-trip figure")
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    with stack(default_reply=Reply(text="Done.")) as (vault, llm, home):
        work = Path(home) / "work"
        work.mkdir()
        env = cli_env(vault.env(), home)
        log = Path(home) / "serve.log"
        proc = subprocess.Popen([sys.executable, "-m", "codetether", "serve", "--port", "0", "--model", "openai/fake"],
                                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
        try:
            deadline = time.monotonic() + 30
            while not (found := re.search(r"on http://127\.0\.0\.1:(\d+)", log.read_text())):
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(f"serve did not start:\n{log.read_text()}", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            idle_rss = rss_mb(proc.pid)
            results = asyncio.run(drive(f"http://127.0.0.1:{found.group(1)}", args.rounds, args.concurrent))
            peak_rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    serial, burst = results["serial"], results["burst"]
    failed = sum(not ok for *_, ok in serial + burst)
    print(f"codetether serve, A2A JSON-RPC streaming, official a2a-sdk client, instant scripted model "
          f"({len(llm.requests)} model calls)\n")
    print(f"| {'measure':<44} | {'p50 ms':>8} | {'p99 ms':>8} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|")
    rows = [("send -> first status update (sequential)", [f for f, _, _ in serial]),
            ("send -> task completed (sequential)", [t for _, t, _ in serial]),
            (f"send -> first status update ({args.concurrent} concurrent)", [f for f, _, _ in burst]),
            (f"send -> task completed ({args.concurrent} concurrent)", [t for _, t, _ in burst])]
    for label, values in rows:
        print(f"| {label:<44} | {pct(values, 50) * 1000:>8.1f} | {pct(values, 99) * 1000:>8.1f} |")
    print(f"\n{args.concurrent} concurrent tasks: wall {results['burst_wall'][0]:.2f}s; "
          f"mean completion {statistics.mean(t for _, t, _ in burst) * 1000:.0f} ms; failed {failed}")
    print(f"server RSS: {idle_rss:.0f} MB at start, peak {peak_rss:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
