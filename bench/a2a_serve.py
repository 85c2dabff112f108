#!/usr/bin/env python3
"""A2A overhead of `codetether serve`: send -> first status update, 50 concurrent tasks (p50/p99, RSS), and 50
concurrent blocking SendMessage calls beside the a2a-sdk's own server with an executor that completes at once
(bench/a2a_reference.py, the ceiling), both in this run.

Starts OpenBao and the scripted LLM server (answers "Done." at once) on 127.0.0.1, then `codetether serve` on a
free port, and drives it with the official a2a-sdk client over JSON-RPC. Every task is a real agent turn
(session, Vault lookup, model call); only the model is instant.
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
from _common import cli_env, emit, stack
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


async def blocking_burst(url: str, concurrent: int) -> list[float]:
    """Seconds for each of `concurrent` blocking SendMessage calls sent at once (plain JSON-RPC over httpx)."""
    limits = httpx.Limits(max_connections=concurrent + 10)
    headers = {"A2A-Version": "1.0"}

    async def one(http: httpx.AsyncClient, n: int) -> float:
        body = {"jsonrpc": "2.0", "id": n, "method": "SendMessage", "params": {"message": {
            "role": "ROLE_USER", "messageId": str(uuid.uuid4()), "parts": [{"text": f"task {n}"}]}}}
        start = time.perf_counter()
        r = await http.post(url, json=body, headers=headers)
        state = r.json().get("result", {}).get("task", {}).get("status", {}).get("state")
        if state != "TASK_STATE_COMPLETED":
            raise SystemExit(f"a blocking task did not complete: {r.text[:1500]}")
        return time.perf_counter() - start

    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await one(http, -1)
        return list(await asyncio.gather(*(one(http, n) for n in range(concurrent))))


def reference_burst(concurrent: int, rounds: int = 3) -> list[float]:
    """The same burst against the a2a-sdk's own server with an instant executor."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("a2a_reference.py")), str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        times: list[float] = []
        for _ in range(rounds):
            times += asyncio.run(blocking_burst(f"http://127.0.0.1:{port}/", concurrent))
        return times
    finally:
        proc.terminate()
        proc.wait(10)


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
    parser.add_argument("--blocking-rounds", type=int, default=3, help="bursts of blocking SendMessage calls")
    parser.add_argument("--many", type=int, default=200, help="one burst this large at the end: none may be lost")
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
            url = f"http://127.0.0.1:{found.group(1)}"
            results = asyncio.run(drive(url, args.rounds, args.concurrent))
            blocking = []
            for _ in range(args.blocking_rounds):
                blocking += asyncio.run(blocking_burst(url + "/", args.concurrent))
            peak_rss = rss_mb(proc.pid)
            many = asyncio.run(blocking_burst(url + "/", args.many)) if args.many else []
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
    print(f"server RSS: {idle_rss:.0f} MB at start, peak {peak_rss:.0f} MB "
          f"({(peak_rss - idle_rss) / args.concurrent * 1024:.0f} KB per concurrent task)")
    reference = reference_burst(args.concurrent, args.blocking_rounds)
    ours50, ref50 = pct(blocking, 50), pct(reference, 50)
    print(f"\n{args.concurrent} concurrent blocking SendMessage calls, {args.blocking_rounds} bursts "
          f"(target: p50 <= 250 ms, p99 <= 500 ms)\n")
    print("| server | p50 ms | p99 ms | ratio (p50) |")
    print("|---|---:|---:|---:|")
    print(f"| codetether serve (real agent turns) | {ours50 * 1000:.0f} | {pct(blocking, 99) * 1000:.0f} | "
          f"{ours50 / ref50:.1f}x |")
    print(f"| a2a-sdk server, instant executor (ceiling) | {ref50 * 1000:.0f} | {pct(reference, 99) * 1000:.0f} | 1.0x |")
    if many:
        print(f"\n{args.many} concurrent blocking tasks: all {len(many)} completed, p50 {pct(many, 50) * 1000:.0f} ms, "
              f"p99 {pct(many, 99) * 1000:.0f} ms")
    emit("serve: 50 concurrent blocking SendMessage p50 (s)", blocking, "s", target=0.25, key="serve_p50_s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
