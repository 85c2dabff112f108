"""RLM inside agents: the rlm tool, and oversized webfetch output routed through RLM instead of truncation."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from codetether.provider.catalog import spec_for
from codetether.provider.client import Provider
from codetether.provider.model import Usage
from codetether.rlm.loop import RlmModel
from codetether.rlm.router import large_output_handler
from codetether.secrets.model import ProviderSecret
from codetether.tool.base import ToolContext
from codetether.tool.registry import load_tool
from tests.cli.conftest import API_KEY, allow_local_network
from tests.harness.llm_server import Reply, ToolCall
from tests.harness.offers import available_tools
from tests.rlm.logs import make_log
from tests.rlm.test_cli_rlm import Scripted

WINDOW = 8_000


def _model(llm_server, usage: Usage | None = None) -> RlmModel:
    secret = ProviderSecret("openai", api_key="sk-test-000000", base_url=llm_server.base_url_openai)
    provider = Provider(spec_for("openai", None), secret, max_attempts=1)
    return RlmModel(provider, "scripted", WINDOW, on_usage=usage.add if usage else None)


def _call(args: dict, ctx: ToolContext):
    async def go():
        try:
            return await load_tool("rlm").execute(args, ctx)
        finally:
            if ctx.llm is not None:
                await ctx.llm.client.aclose()
    return asyncio.run(go())


def test_rlm_tool_analyzes_files_by_glob(tmp_path, llm_server):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text(make_log(300_000, {"db": 7}))
    (tmp_path / "logs" / "b.log").write_text(make_log(300_000, {"auth": 5}, seed=9))
    script = Scripted(['count("ERROR")', 'FINAL("12 errors: 7 db, 5 auth")'])
    llm_server.router = script
    usage = Usage()
    ctx = ToolContext(root=tmp_path, llm=_model(llm_server, usage))

    result = _call({"action": "analyze", "query": "How many errors?", "paths": ["logs/*.log"]}, ctx)

    assert result.success, result.output
    assert result.output.startswith("12 errors: 7 db, 5 auth\n\n[rlm: 2 iterations, 0 sub-queries")
    assert result.metadata["content_type"] == "logs" and result.metadata["iterations"] == 2
    assert usage.prompt_tokens == sum(p for p, _ in script.usage) == result.metadata["usage"]["prompt_tokens"]
    first, second = (json.dumps(r.body) for r in llm_server.requests)
    assert "sources: logs/a.log, logs/b.log" in first and "12 matches on 12 lines" in second
    assert all(r.raw_bytes / 3.5 <= WINDOW for r in llm_server.requests)


def test_rlm_tool_summarize_and_search_shape_the_question(tmp_path, llm_server):
    llm_server.router = Scripted(['FINAL("done")'])
    ctx = ToolContext(root=tmp_path, llm=_model(llm_server))
    assert _call({"action": "summarize", "content": "some text\n", "query": "errors"}, ctx).success
    ctx = ToolContext(root=tmp_path, llm=_model(llm_server))
    assert _call({"action": "search", "content": "some text\n", "query": "deadline"}, ctx).success
    summary, search = (r.body["messages"][1]["content"] for r in llm_server.requests)
    assert "Question: Summarize this content" in summary and "Focus on: errors" in summary
    assert "mentions: deadline. Use grep first" in search


@pytest.mark.parametrize(("args", "message"), [
    ({"action": "analyze", "content": "x"}, "'query' is required for action 'analyze'"),
    ({"action": "analyze", "query": "q"}, "give the text to analyse as 'paths'"),
    ({"action": "analyze", "query": "q", "paths": ["a"], "content": "x"}, "either 'paths' or 'content'"),
    ({"action": "analyze", "query": "q", "paths": ["nope/*.log"]}, "matches no files"),
    ({"action": "analyze", "query": "q", "paths": ["../outside.txt"]}, "outside the workspace"),
    ({"action": "explain", "query": "q", "content": "x"}, "invalid arguments for rlm"),
])
def test_rlm_tool_bad_arguments(tmp_path, llm_server, args, message):
    result = _call(args, ToolContext(root=tmp_path, llm=_model(llm_server)))
    assert not result.success and message in result.output, result.output
    assert not llm_server.requests


def test_rlm_tool_refuses_more_than_20_mib(tmp_path, llm_server):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes(b"x" * (10 * 1024 * 1024 + 1))
    result = _call({"action": "analyze", "query": "q", "paths": ["a.txt", "b.txt"]},
                   ToolContext(root=tmp_path, llm=_model(llm_server)))
    assert not result.success and "at most 20 MiB" in result.output
    assert not llm_server.requests


def test_rlm_tool_needs_the_agents_model(tmp_path):
    result = _call({"action": "analyze", "query": "q", "content": "x"}, ToolContext(root=tmp_path))
    assert not result.success and "only available inside an agent run" in result.output


def test_rlm_tool_without_final_fails_clearly(tmp_path, llm_server):
    llm_server.router = Scripted(["head(1)"])
    result = _call({"action": "analyze", "query": "q", "content": "a\nb\n"},
                   ToolContext(root=tmp_path, llm=_model(llm_server)))
    assert not result.success and "no FINAL answer after 15 iterations" in result.output


def test_handler_routes_only_summarisable_tools(llm_server):
    llm_server.router = Scripted(['count("needle")', 'FINAL("the page mentions needle 3 times")'])
    output = ("filler text " * 6000) + "needle\n" * 3

    async def go():
        model = _model(llm_server)
        handler = large_output_handler(model)
        try:
            return [await handler(tool, output) for tool in ("read", "grep", "bash", "glob", "mystery", "webfetch")]
        finally:
            await model.client.aclose()

    *exact, webfetch = asyncio.run(go())
    assert exact == [None] * 5
    assert webfetch == "the page mentions needle 3 times"
    assert len(llm_server.requests) == 2  # both for webfetch: exact-content tools never reach the model


@pytest.fixture
def page_server() -> Iterator[str]:
    body = ("".join(f"Section {i}: the deployment guide says step {i} is routine.\n" for i in range(3000))
            + "IMPORTANT: the API key must be rotated every 30 days.\n").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/guide.txt"
    server.shutdown()
    server.server_close()


def test_agent_routes_oversized_webfetch_through_rlm_but_truncates_read(cli, vault_clean, llm_server, workspace,
                                                                         page_server):
    (workspace / "big.txt").write_text("".join(f"row {i} of a large file\n" for i in range(4000)))
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    agent_usage: list[tuple[int, int]] = []
    agent_turns = [Reply(tool_calls=[ToolCall("webfetch", {"url": page_server, "format": "text",
                                                           "max_chars": 500_000}),
                                     ToolCall("read", {"path": "big.txt"})], usage=(900, 20)),
                   Reply(text="Rotate the API key every 30 days.", usage=(1200, 10))]
    rlm = Scripted(['grep("IMPORTANT")', 'FINAL("The guide: 3000 routine steps; the API key must be rotated every '
                    '30 days.")'])

    def router(body):
        if "tools" in body:  # the agent's own steps
            agent_usage.append(agent_turns[len(agent_usage)].usage)
            return agent_turns[len(agent_usage) - 1]
        return rlm(body)

    llm_server.router = router
    allow_local_network(cli.env)  # the page server is on 127.0.0.1
    proc = cli("run", "--agent", "build", "--model", "openai/scripted", "--format", "json", "read the guide",
               env={**cli.env, "CODETETHER_CONTEXT_WINDOW": str(WINDOW * 4)})

    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["text"] == "Rotate the API key every 30 days."
    steps = [r for r in llm_server.requests if "tools" in r.body]
    rlm_requests = [r for r in llm_server.requests if "tools" not in r.body]
    assert len(steps) == 2 and len(rlm_requests) == 2 and rlm.subs == 0
    assert "rlm" in available_tools(steps[0].body)
    results = {m["tool_call_id"]: m["content"] for m in steps[1].body["messages"] if m["role"] == "tool"}
    fetched, read = results.values()
    assert fetched.startswith("[RLM summary of webfetch output") and "rotated every 30 days" in fetched
    assert "OUTPUT TRUNCATED" in read and "RLM summary" not in read
    assert "1: 2024" not in json.dumps(rlm_requests[0].body) and "Section 2999" not in json.dumps(rlm_requests[0].body)
    assert "1 matching lines" in json.dumps(rlm_requests[1].body)
    # The RLM calls count in the run's usage.
    assert result["usage"]["prompt_tokens"] == sum(p for p, _ in agent_usage + rlm.usage)
