"""The root loop keeps every request inside a small window however much the commands return."""

from __future__ import annotations

import asyncio
import json

from codetether.rlm.context import RlmContext
from codetether.rlm.loop import ELIDED, analyze
from tests.rlm.logs import make_log
from tests.rlm.test_agent_rlm import _model
from tests.rlm.test_cli_rlm import Scripted

WINDOW = 8_000


def test_results_are_elided_then_cut_to_fit_the_window(llm_server):
    greedy = "\n".join(["head(1000)", "tail(1000)", "lines(500, 1500)", "grep('INFO', max_results=200)"] * 2)
    script = Scripted([greedy] * 5 + ['FINAL("done")'])
    llm_server.router = script
    ctx = RlmContext.build(make_log(400_000, {"db": 3}))

    async def go():
        model = _model(llm_server)
        try:
            return await analyze("q " * 3000, ctx, model, max_iterations=8)  # a long question, too
        finally:
            await model.client.aclose()

    result = asyncio.run(go())
    assert result.ok and result.answer == "done" and result.iterations == 6 and result.requests == 6
    sizes = [r.raw_bytes for r in llm_server.requests]
    assert all(size / 3.5 <= WINDOW for size in sizes), sizes
    assert ELIDED in json.dumps(llm_server.requests[-1].body)
    assert "[result cut: showing" in json.dumps(llm_server.requests[1].body)
    assert result.usage.prompt_tokens == sum(p for p, _ in script.usage)
