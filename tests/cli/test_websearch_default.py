"""`websearch` with no set-up, through the real CLI: the scripted model searches, DuckDuckGo's page (served locally in
its real format) comes back parsed."""

from __future__ import annotations

import json

from tests.cli.conftest import API_KEY
from tests.harness.ddg_server import DdgServer
from tests.harness.llm_server import Reply, ToolCall


def test_websearch_works_without_any_config(cli, vault_clean, llm_server):
    vault_clean.put_provider("openai", api_key=API_KEY, base_url=llm_server.base_url_openai)
    llm_server.script(Reply(tool_calls=[ToolCall("websearch", {"query": "python asyncio", "max_results": 2})]),
                      Reply(text="Found the asyncio docs."))
    with DdgServer() as ddg:
        proc = cli("run", "--agent", "build", "--model", "openai/m", "--format", "jsonl", "search the web",
                   env={**cli.env, "CODETETHER_DUCKDUCKGO_URL": ddg.url})
    assert proc.returncode == 0, proc.stderr
    done = [e for line in proc.stdout.splitlines() if (e := json.loads(line))["type"] == "run.tool_call_completed"]
    assert done[0]["name"] == "websearch" and done[0]["success"], done
    assert done[0]["output"].startswith("1. asyncio — Asynchronous I/O — Python 3.12 documentation\n"
                                        "   https://docs.python.org/3/library/asyncio.html\n")
    assert "2. Async IO in Python" in done[0]["output"] and "\n3. " not in done[0]["output"]
    assert len(ddg.requests) == 1
