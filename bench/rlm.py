#!/usr/bin/env python3
"""RLM over 1, 10 and 100 MB logs: requests and tokens sent to answer one question, against stuffing it all in.

A scripted model (the test harness's LLM server on 127.0.0.1) plays the root: it counts the three kinds of ERROR
lines, asks one sub-question over a grep of them, and answers. Token figures are the server's usage (bytes / 4 of
each request body), and the naive figure is the context's own bytes / 4: the same yardstick.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from tests.harness.llm_server import LLMServer, Reply
from tests.rlm.logs import make_log

from codetether.provider.catalog import spec_for
from codetether.provider.client import Provider
from codetether.provider.limits import context_window_for
from codetether.rlm.context import RlmContext
from codetether.rlm.loop import RlmModel, analyze
from codetether.secrets.model import ProviderSecret

ROOT = ['count("ERROR")\ncount("connection timeout")\ncount("invalid token")\ncount("no space left")',
        'llm_query("What kinds of errors are these, and what do they have in common?", grep("ERROR", max_results=200))',
        'FINAL("Three kinds of ERROR lines: database timeouts, invalid auth tokens and full disks.")']
MODEL = "bench-model"


def router(state: dict[str, int]):
    def route(body: dict) -> Reply:
        if "excerpt of a larger text" in body["messages"][0]["content"]:
            return Reply(text="Database timeouts, auth token failures and full disks; all from the same hour.")
        state["root"] += 1
        return Reply(text=ROOT[min(state["root"], len(ROOT)) - 1])
    return route


async def one(llm: LLMServer, megabytes: int) -> tuple[int, int, int, int, int, float, str]:
    per_mb = {"db": 27, "auth": 18, "disk": 8}
    text = make_log(megabytes * 1_000_000, {k: v * megabytes for k, v in per_mb.items()})
    ctx = RlmContext.build(text, sources=[f"{megabytes}mb.log"])
    before = len(llm.requests)
    llm.router = router({"root": 0})
    provider = Provider(spec_for("openai", None),
                        ProviderSecret("openai", api_key="sk-bench-0000", base_url=llm.base_url_openai))
    started = time.perf_counter()
    try:
        result = await analyze("How many ERROR lines are there, of which kinds?", ctx,
                               RlmModel(provider, MODEL, context_window_for(MODEL)))
    finally:
        await provider.aclose()
    wall = time.perf_counter() - started
    requests = llm.requests[before:]
    largest = max(r.raw_bytes for r in requests) // 4
    return (len(text), len(requests), result.usage.prompt_tokens, len(text.encode()) // 4, largest, wall,
            result.exit_reason)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10,100", help="context sizes in MB, comma-separated")
    args = parser.parse_args()
    rows = []
    with LLMServer() as llm:
        for megabytes in (int(s) for s in args.sizes.split(",")):
            rows.append((megabytes, *asyncio.run(one(llm, megabytes))))
    window = context_window_for(MODEL)
    print(f"model window {window:,} tokens; a naive prompt over it cannot be sent at all\n")
    print("| context | requests | tokens sent (RLM) | naive tokens | naive / RLM | largest request | time | outcome |")
    print("|---|---|---|---|---|---|---|---|")
    for mb, size, requests, sent, naive, largest, wall, outcome in rows:
        print(f"| {mb} MB ({size:,} chars) | {requests} | {sent:,} | {naive:,} | {naive / sent:,.0f}x | "
              f"{largest:,} tokens | {wall:.1f} s | {outcome} |")
    return 0 if all(r[-1] == "final" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
